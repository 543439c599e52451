from django.apps import AppConfig


class SmartChargingConfig(AppConfig):
    name = "smartcharging"
    verbose_name = "Smart charging"

    def ready(self) -> None:
        from smartcharging import actions

        actions.register()
