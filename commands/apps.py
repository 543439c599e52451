from django.apps import AppConfig


class CommandsConfig(AppConfig):
    name = "commands"
    verbose_name = "Remote actions"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from sessions.models import Session

        post_save.connect(_session_saved, sender=Session, dispatch_uid="commands.session_saved")


def _session_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A session that has ended releases the OCPP 1.6 resets held for it (see station_session_ended).

    Wired to the session record rather than to the StopTransaction handler so that every way a
    session ends (1.6 StopTransaction, 2.0.1 TransactionEvent Ended) is seen; calling the service
    again is harmless, it only sends what is still held.
    """
    from sessions.models import SessionStatus

    if instance.status == SessionStatus.ACTIVE or instance.ended_at is None:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    from commands.models import Command
    from commands.services import station_session_ended

    if Command.objects.waiting_for_idle().filter(station_id=instance.station_id).exists():
        station_session_ended(station=instance.station)
