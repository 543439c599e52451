from django.apps import AppConfig


class CommandsConfig(AppConfig):
    name = "commands"
    verbose_name = "Remote actions"
    # The actions themselves are registered by the apps that own them (commands.registry).
