from django.apps import AppConfig


class ChargingSessionsConfig(AppConfig):
    # The label avoids a clash with django.contrib.sessions.
    name = "sessions"
    label = "charging_sessions"
    verbose_name = "Charging sessions"

    def ready(self) -> None:
        from sessions import actions

        actions.register()
