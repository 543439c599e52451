from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "diagnostics"
    verbose_name = "Diagnostics: station log uploads"

    def ready(self) -> None:
        from diagnostics import actions, signals  # noqa: F401  (signals connects its receivers)

        actions.register()
