from django.apps import AppConfig


class OcppGatewayConfig(AppConfig):
    name = "ocpp_gateway"
    verbose_name = "OCPP gateway"

    def ready(self) -> None:
        # The core station-management actions (reset, unlock, configuration, trigger, availability, cache).
        from ocpp_gateway import actions

        actions.register()
        # Provisioning: variables, reports, configuration keys, network profiles, vendor data.
        from ocpp_gateway import device_actions

        device_actions.register()
