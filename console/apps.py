from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The operator pages: dashboard, stations, locations, sessions and networks, in the admin's look."""

    name = "console"
    verbose_name = "Operator console"
