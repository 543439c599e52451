from django.apps import AppConfig


class FirmwareConfig(AppConfig):
    name = "firmware"

    def ready(self) -> None:
        from firmware import actions

        actions.register()
