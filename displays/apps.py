from django.apps import AppConfig


class DisplaysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "displays"
    verbose_name = "Display messages (OCPP 2.0.1 O)"

    def ready(self) -> None:
        from displays import actions

        actions.register()
