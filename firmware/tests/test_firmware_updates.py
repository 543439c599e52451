"""Requesting updates, the UpdateFirmware payloads, and what stations report back."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, _validate_payload

from commands.models import Command, CommandStatus
from firmware.dispatch import firmware_command_finished, firmware_update_call, firmware_update_dispatch
from firmware.links import firmware_link_url
from firmware.models import FirmwareStatus, FirmwareUpdate, FirmwareUpdateEvent
from firmware.services import firmware_status_notification, firmware_update_payload, firmware_update_request
from firmware.tests.conftest import make_firmware

pytestmark = pytest.mark.django_db


def request_update(station, firmware, **kw) -> FirmwareUpdate:
    return firmware_update_request(stations=[station], firmware=firmware, send=False, **kw)[0]


def timeline(update) -> list[str]:
    return list(update.events.values_list("status", flat=True))


def assert_valid(action: str, payload: dict, version: str) -> None:
    # The OCA JSON schemas the ocpp library ships; raises on any violation.
    _validate_payload(Call(unique_id="1", action=action, payload=payload), version)


def test_the_payloads_validate_against_the_oca_schemas(station_a, network_a):
    firmware = make_firmware(
        network=network_a, signature="c2lnbmF0dXJl", signing_certificate="-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"
    )
    retrieve_at = timezone.now() + timedelta(hours=2)
    update = request_update(station_a, firmware, retrieve_at=retrieve_at, retries=3, retry_interval=120)

    v16 = firmware_update_payload(update=update, ocpp_version="1.6")
    assert_valid("UpdateFirmware", v16, "1.6")
    assert v16 == {
        "location": firmware_link_url(update=update),
        "retrieveDate": retrieve_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "retries": 3,
        "retryInterval": 120,
    }

    v201 = firmware_update_payload(update=update, ocpp_version="2.0.1")
    assert_valid("UpdateFirmware", v201, "2.0.1")
    assert v201["requestId"] == update.request_id
    assert v201["firmware"]["location"] == v16["location"]
    assert v201["firmware"]["retrieveDateTime"] == v16["retrieveDate"]
    assert v201["firmware"]["signature"] == "c2lnbmF0dXJl"
    assert v201["firmware"]["signingCertificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert (v201["retries"], v201["retryInterval"]) == (3, 120)


def test_the_command_carries_both_payloads_and_builds_the_library_request(station_a, firmware_a):
    station_a.channel_name = "specific.test!abc"
    station_a.save()
    update = request_update(station_a, firmware_a)
    firmware_update_dispatch(update=update)
    command = Command.objects.get()
    assert command.action == "update_firmware" and command.status == CommandStatus.QUEUED
    update.refresh_from_db()
    assert update.command_id == command.pk and update.sent_at is not None
    for version in ("1.6", "2.0.1"):
        request = firmware_update_call(command, version=version)
        sent = snake_to_camel_case(remove_nones(serialize_as_dict(request)))
        assert sent == command.parameters["payload"][version]
        assert_valid("UpdateFirmware", sent, version)


def test_an_offline_station_fails_the_update_at_once(station_a, firmware_a):
    assert not station_a.channel_name
    update = request_update(station_a, firmware_a)
    firmware_update_dispatch(update=update)
    update.refresh_from_db()
    assert update.status == FirmwareStatus.SEND_FAILED and update.failed
    assert "offline" in update.status_info.lower()
    assert timeline(update) == ["Requested", "SendFailed"]
    assert Command.objects.get().status == CommandStatus.STATION_OFFLINE


def _finished_command(update, *, status, answer=None, error=""):
    return Command.objects.create(
        station=update.station,
        action="update_firmware",
        parameters={"firmware_update_id": update.pk, "payload": {}},
        status=status,
        answer=answer,
        error=error,
    )


@pytest.mark.parametrize(
    ("status", "answer", "error", "expected", "failed"),
    [
        (CommandStatus.REJECTED, {}, "", FirmwareStatus.SENT, False),  # 1.6: empty conf
        (CommandStatus.ACCEPTED, {"status": "Accepted"}, "", FirmwareStatus.ACCEPTED, False),
        (CommandStatus.REJECTED, {"status": "Rejected"}, "", FirmwareStatus.REJECTED, True),
        (CommandStatus.REJECTED, {"status": "InvalidCertificate"}, "", FirmwareStatus.INVALID_CERTIFICATE, True),
        (CommandStatus.TIMED_OUT, None, "No answer within 30 s.", FirmwareStatus.SEND_FAILED, True),
        (CommandStatus.FAILED, {"errorCode": "NotSupported"}, "NotSupported: no", FirmwareStatus.SEND_FAILED, True),
    ],
)
def test_the_station_answer_moves_the_update(station_a, firmware_a, status, answer, error, expected, failed):
    update = request_update(station_a, firmware_a)
    command = _finished_command(update, status=status, answer=answer, error=error)
    firmware_command_finished(command_id=command.pk)
    update.refresh_from_db()
    assert (update.status, update.failed) == (expected, failed)
    assert timeline(update) == ["Requested", expected]


def test_accepted_canceled_cancels_the_older_update(station_a, firmware_a):
    older = request_update(station_a, firmware_a)
    firmware_status_notification(station=station_a, status="Downloading", request_id=older.request_id)
    newer = request_update(station_a, firmware_a)
    firmware_command_finished(command_id=_finished_command(newer, status=CommandStatus.REJECTED, answer={"status": "AcceptedCanceled"}).pk)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.status == FirmwareStatus.ACCEPTED
    assert older.status == FirmwareStatus.ACCEPTED_CANCELED and older.finished


def test_a_late_answer_never_overwrites_progress(station_a, firmware_a):
    update = request_update(station_a, firmware_a)
    firmware_status_notification(station=station_a, status="Downloading", request_id=update.request_id)
    firmware_command_finished(command_id=_finished_command(update, status=CommandStatus.ACCEPTED, answer={"status": "Accepted"}).pk)
    update.refresh_from_db()
    assert update.status == FirmwareStatus.DOWNLOADING
    assert timeline(update) == ["Requested", "Downloading", "Accepted"]


def test_v201_notifications_follow_the_request_id(station_a, firmware_a):
    one = request_update(station_a, firmware_a)
    two = request_update(station_a, firmware_a)
    for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting", "Installed"):
        firmware_status_notification(station=station_a, status=status, request_id=one.request_id)
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == "Installed" and one.finished and not one.failed and one.finished_at is not None
    assert timeline(one)[-3:] == ["Installing", "InstallRebooting", "Installed"]
    assert two.status == "Requested"


def test_v16_notifications_go_to_the_newest_unfinished_update(station_a, station_b, firmware_a, firmware_b):
    done = request_update(station_a, firmware_a)
    firmware_status_notification(station=station_a, status="Installed", request_id=done.request_id)
    current = request_update(station_a, firmware_a)
    other_station = request_update(station_b, firmware_b)
    for status in ("Downloading", "DownloadFailed"):
        firmware_status_notification(station=station_a, status=status)
    current.refresh_from_db()
    assert current.status == "DownloadFailed" and current.failed
    assert timeline(current) == ["Requested", "Downloading", "DownloadFailed"]
    done.refresh_from_db()
    other_station.refresh_from_db()
    assert done.status == "Installed" and other_station.status == "Requested"


def test_statuses_outside_any_update_stay_on_the_station(station_a, firmware_a):
    firmware_status_notification(station=station_a, status="Idle")
    firmware_status_notification(station=station_a, status="Downloading", request_id=4242)
    events = list(FirmwareUpdateEvent.objects.filter(station=station_a).order_by("id"))
    assert [(e.update, e.status) for e in events] == [(None, "Idle"), (None, "Downloading")]
    assert "4242" in events[1].info
    with pytest.raises(ValueError):
        firmware_status_notification(station=station_a, status="Exploded")


def test_an_image_of_another_network_is_refused(station_b, firmware_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        request_update(station_b, firmware_a)
    assert not FirmwareUpdate.objects.exists()


def test_failed_states_are_red_in_the_admin(client, operator_a, station_a, firmware_a):
    update = request_update(station_a, firmware_a)
    firmware_status_notification(station=station_a, status="Downloading", request_id=update.request_id)
    firmware_status_notification(station=station_a, status="InvalidSignature", request_id=update.request_id)
    client.force_login(operator_a)
    listing = client.get("/admin/firmware/firmwareupdate/").content.decode()
    assert '<span class="equipment faulted">InvalidSignature</span>' in listing
    detail = client.get(f"/admin/firmware/firmwareupdate/{update.pk}/change/").content.decode()
    assert '<span class="equipment">Downloading</span>' in detail
    assert '<span class="equipment faulted">InvalidSignature</span>' in detail
