"""Message-log retention: per network or the platform's MESSAGE_RETENTION_DAYS, pruned in chunks."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ocpp_gateway.models import Message, QuarantinedRow
from ocpp_gateway.services import messages_prune

pytestmark = pytest.mark.django_db


def log(station, *, days_old: float, n: int = 1) -> None:
    at = timezone.now() - timedelta(days=days_old)
    Message.objects.bulk_create(
        Message(station=station, direction="in", message_type=2, action="Heartbeat", unique_id=f"{days_old}-{i}", payload={}, time=at)
        for i in range(n)
    )


def ages(station) -> list[float]:
    return sorted(float(u.split("-")[0]) for u in Message.objects.filter(station=station).values_list("unique_id", flat=True))


def test_each_network_keeps_its_own_retention_and_the_rest_the_platform_default(station_a, station_b, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    station_a.network.message_retention_days = 7
    station_a.network.save()
    for station in (station_a, station_b):
        for days in (1, 6.9, 7.1, 89, 91, 400):
            log(station, days_old=days)

    result = messages_prune()

    assert ages(station_a) == [1, 6.9]
    assert ages(station_b) == [1, 6.9, 7.1, 89]
    assert result.deleted == 4 + 2


def test_pruning_goes_in_chunks_and_takes_old_quarantined_rows_too(station_a, settings):
    settings.MESSAGE_RETENTION_DAYS = 30
    log(station_a, days_old=31, n=25)
    log(station_a, days_old=2, n=3)
    QuarantinedRow.objects.create(time=timezone.now() - timedelta(days=40), kind="message", error="x", data="{}")
    QuarantinedRow.objects.create(time=timezone.now(), kind="message", error="y", data="{}")

    result = messages_prune(chunk=10, pause=0)

    assert (result.deleted, result.quarantined_deleted) == (25, 1)
    assert result.chunks == 3 + 1  # 10 + 10 + 5 frames, then the one quarantined row
    assert Message.objects.filter(station=station_a).count() == 3
    assert list(QuarantinedRow.objects.values_list("error", flat=True)) == ["y"]


def test_manage_py_prune_messages_deletes_and_a_dry_run_only_counts(station_a, capsys):
    log(station_a, days_old=100, n=4)
    log(station_a, days_old=10, n=2)
    call_command("prune_messages", "--dry-run")
    assert "Would delete 4 message-log rows" in capsys.readouterr().out
    assert Message.objects.count() == 6
    call_command("prune_messages", "--days", "5", "--chunk", "3")
    assert "Deleted 6 message-log rows" in capsys.readouterr().out
    assert Message.objects.count() == 0


def test_the_prune_task_is_on_the_beat_schedule_and_prunes(station_a, settings):
    from ocpp_gateway.tasks import messages_prune as task

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "ocpp_gateway.tasks.messages_prune")
    assert entry["schedule"] == settings.MESSAGE_PRUNE_SECONDS
    log(station_a, days_old=settings.MESSAGE_RETENTION_DAYS + 1, n=2)
    assert task.delay().get() == 2
    assert not Message.objects.exists()


def test_a_network_admin_sets_the_retention_and_it_is_bounded(client, network_a, operator_a):
    from console.forms import NetworkForm

    form = NetworkForm({"name": network_a.name, "description": "", "message_retention_days": "0"}, instance=network_a)
    assert not form.is_valid() and "message_retention_days" in form.errors
    form = NetworkForm({"name": network_a.name, "description": "", "message_retention_days": "30"}, instance=network_a)
    assert form.is_valid(), form.errors
    form.save()
    network_a.refresh_from_db()
    assert network_a.message_retention_days == 30


def test_account_admins_see_the_message_log_size_on_the_dashboard(client, account_admin, operator_a, station_a):
    from django.core.cache import cache

    cache.clear()
    log(station_a, days_old=1, n=40)
    QuarantinedRow.objects.create(time=timezone.now(), kind="message", error="x", data="{}")
    client.force_login(account_admin)
    html = client.get(reverse("console:dashboard")).content.decode()
    assert 'id="message-log-size"' in html
    assert "<span class=\"count\">40</span> frames" in html and "approx." in html
    assert "1 row could not be written" in html
    client.force_login(operator_a)
    assert 'id="message-log-size"' not in client.get(reverse("console:dashboard")).content.decode()
