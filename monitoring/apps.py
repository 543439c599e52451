from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = "Monitoring and customer information (OCPP 2.0.1 N)"

    def ready(self) -> None:
        from monitoring import actions

        actions.register()
