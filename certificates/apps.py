from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = "Security: certificates, passwords and profiles"

    def ready(self) -> None:
        from certificates import actions

        actions.register()
