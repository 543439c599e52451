"""Background CSV exports of sessions: requested by a user, run by a Celery worker (sessions.tasks)."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sessions.models import Export, ExportStatus, Session


class ExportScopeError(ValueError):
    """The export's network scope is ambiguous or not the user's."""


def export_request(*, user, filters: dict[str, str], network=None) -> Export:
    """Record a background CSV export of the sessions `user` sees through `filters`; queue it after commit.

    The export belongs to one network (its users may download it). Without one, the filters' network
    or the user's only network is used; only account admins may export every network at once.
    """
    from networks.models import Network
    from networks.querysets import is_account_admin
    from sessions.filters import SessionFilter
    from sessions.tasks import export_sessions

    form = SessionFilter(data=filters, queryset=Session.objects.none()).form
    if not form.is_valid():
        raise ExportScopeError("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    visible = Network.objects.for_user(user)
    if network is None and filters.get("network"):
        network = visible.filter(name=filters["network"]).first()
        if network is None:
            raise ExportScopeError("network: no such network.")
    if network is None and not is_account_admin(user):
        mine = list(visible[:2])
        if len(mine) != 1:
            raise ExportScopeError("network: pick the network to export.")
        network = mine[0]
    if network is not None and not visible.filter(pk=network.pk).exists():
        raise ExportScopeError("network: no such network.")
    export = Export.objects.create(requested_by=user, network=network, filters=filters)
    transaction.on_commit(lambda: export_sessions.delay(export.pk))
    return export


def export_queryset(*, export: Export):
    from sessions.filters import SessionFilter

    # Scoped again at run time: a user who lost access since asking gets nothing more.
    sessions = Session.objects.for_user(export.requested_by).in_network(export.network_id)
    return SessionFilter(data=export.filters, queryset=sessions).qs


def export_run(*, export_id: int) -> bool:
    """Write the export's CSV to default storage. Returns False if another worker claimed it."""
    import tempfile

    from django.core.files import File
    from django.core.files.storage import default_storage

    from sessions.exports import csv_write

    # Claimed with a conditional UPDATE: two workers handed the same job never both run it.
    if not Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(status=ExportStatus.RUNNING):
        return False
    export = Export.objects.select_related("requested_by").get(pk=export_id)
    rows = Export.objects.filter(pk=export_id)
    try:
        sessions = export_queryset(export=export)
        total = sessions.count()
        rows.update(total_rows=total)

        def progress(count: int) -> None:
            rows.update(row_count=count, progress=min(99, count * 100 // max(total, 1)))

        with tempfile.TemporaryFile() as spool:
            csv_write(sessions, spool, on_rows=progress)
            spool.seek(0)
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            name = default_storage.save(f"exports/sessions-{export_id}-{stamp}.csv", File(spool))
    except Exception as exc:
        rows.update(status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    rows.update(status=ExportStatus.DONE, file=name, progress=100, finished_at=timezone.now())
    return True


def export_delete(*, export: Export) -> None:
    """Delete an export and its file from the storage (a row alone would leave the file behind)."""
    from django.core.files.storage import default_storage

    if export.file:
        default_storage.delete(export.file.name)
    export.delete()
