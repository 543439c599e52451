"""A get_log / get_diagnostics Command gets its LogRequest the moment it is recorded: every surface
that sends one (admin, console, API, station_action) shows the request before the station answers."""
from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from commands.models import Command
from diagnostics.services import LOG_ACTIONS, log_request_for_command


@receiver(post_save, sender=Command, dispatch_uid="diagnostics.log_request_for_command")
def _command_recorded(sender, instance: Command, created: bool, **kwargs) -> None:
    if created and instance.action in LOG_ACTIONS:
        log_request_for_command(command=instance)
