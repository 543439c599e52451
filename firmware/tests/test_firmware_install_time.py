"""UpdateFirmware's install time (2.0.1 L01 installDateTime, TC_L_02) and the 1.6 Security Whitepaper's
SignedUpdateFirmware, validated against the OCA schemas the library ships."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, _validate_payload

from commands.models import Command
from firmware.dispatch import firmware_command_finished, firmware_update_call, firmware_update_dispatch
from firmware.forms import FirmwareUpdateForm
from firmware.models import Firmware, FirmwareStatus
from firmware.services import firmware_status_notification, firmware_update_request
from firmware.tests.conftest import make_firmware

pytestmark = pytest.mark.django_db

SIGNED = {"signature": "c2lnbmF0dXJl", "signing_certificate": "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"}


def sent(command, version: str) -> tuple[str, dict]:
    request = firmware_update_call(command, version=version)
    payload = snake_to_camel_case(remove_nones(serialize_as_dict(request)))
    action = type(request).__name__
    _validate_payload(Call(unique_id="1", action=action, payload=payload), version)
    return action, payload


def test_the_install_time_and_a_signed_16_update(station_a, network_a):
    station_a.channel_name = "specific.test!abc"
    station_a.save()
    firmware = make_firmware(network=network_a, **SIGNED)
    install_at = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    [update] = firmware_update_request(
        stations=[station_a], firmware=firmware, install_at=install_at, signed_update=True, retries=1, send=False
    )
    firmware_update_dispatch(update=update)
    command = Command.objects.get()
    install = install_at.isoformat().replace("+00:00", "Z")
    action, payload = sent(command, "2.0.1")
    assert action == "UpdateFirmware" and payload["firmware"]["installDateTime"] == install
    action, payload = sent(command, "1.6")
    assert action == "SignedUpdateFirmware"
    assert payload["requestId"] == update.request_id and payload["retries"] == 1
    assert payload["firmware"]["installDateTime"] == install
    assert (payload["firmware"]["signature"], payload["firmware"]["signingCertificate"]) == (SIGNED["signature"], SIGNED["signing_certificate"])
    # SignedUpdateFirmware.conf has a status; SignedFirmwareStatusNotification names the requestId.
    Command.objects.filter(pk=command.pk).update(status="accepted", answer={"status": "Accepted"})
    firmware_command_finished(command_id=command.pk)
    firmware_status_notification(station=station_a, status="Downloading", request_id=update.request_id)
    update.refresh_from_db()
    assert update.status == FirmwareStatus.DOWNLOADING


def test_unsigned_images_go_as_plain_16_updates_and_take_no_install_time(station_a, network_a):
    unsigned = make_firmware(network=network_a)
    with pytest.raises(ValidationError, match="signed update"):
        firmware_update_request(stations=[station_a], firmware=unsigned, signed_update=True, send=False)
    station_a.ocpp_version = "1.6"
    station_a.save(update_fields=["ocpp_version"])
    with pytest.raises(ValidationError, match="install time goes only with a signed update"):
        firmware_update_request(
            stations=[station_a], firmware=unsigned, install_at=timezone.now() + timedelta(hours=1), send=False
        )


def test_the_form_checks_the_install_time_and_the_signature(network_a):
    unsigned = make_firmware(network=network_a)
    queryset = Firmware.objects.all()
    soon = timezone.now() + timedelta(hours=2)
    form = FirmwareUpdateForm(
        {"firmware": unsigned.pk, "retrieve_at": soon, "install_at": soon - timedelta(hours=1), "signed_update": "on"},
        firmware_queryset=queryset,
    )
    assert not form.is_valid()
    assert set(form.errors) == {"install_at", "signed_update"}
