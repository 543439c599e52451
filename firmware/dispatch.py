"""UpdateFirmware travels as a remote-actions Command (registered in ``firmware.actions``).

The firmware app creates the Command with both versions' payloads already built (the link is
signed here, in sync code: the consumer builds the CALL inside the event loop, where the database
is out of reach). The registration points the commands framework at this module:

- its builder, ``firmware_update_call``: the ``ocpp`` library request;
- its listener, ``firmware_command_finished``: the answer moves the FirmwareUpdate along
  (2.0.1 Accepted/Rejected/...; 1.6 answers with an empty conf).
"""
from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from ocpp.charge_point import camel_to_snake_case

from firmware.models import FirmwareStatus, FirmwareUpdate
from firmware.services import (
    firmware_update_answer,
    firmware_update_event_record,
    firmware_update_payload,
    firmware_update_sent,
)
from stations.models import OcppVersion

logger = logging.getLogger(__name__)

ACTION = "update_firmware"


def firmware_update_dispatch(*, update: FirmwareUpdate) -> None:
    """Record the Command for ``update`` and queue it, or fail the update at once when offline."""
    from commands.services import command_create, command_send

    parameters: dict[str, Any] = {
        "firmware_update_id": update.pk,
        "payload": {
            version: firmware_update_payload(update=update, ocpp_version=version)
            for version in (OcppVersion.V16.value, OcppVersion.V201.value)
        },
    }
    command = command_create(
        station=update.station, action=ACTION, parameters=parameters, requested_by=update.requested_by, send=False
    )
    firmware_update_sent(update=update, command_id=command.pk)
    # Offline: the command fails at once and firmware_command_finished shows "not delivered".
    command_send(command=command)


def firmware_update_call(command, *, version: str):
    """The ``ocpp`` library request for an update_firmware Command (OCPP 1.6 §6.52, 2.0.1 L01)."""
    from ocpp.v16 import call as call16
    from ocpp.v201 import call as call201

    try:
        payload = command.parameters["payload"][version]
    except KeyError:
        raise ValueError(f"No UpdateFirmware payload for OCPP {version!r}.") from None
    kwargs = camel_to_snake_case(payload)
    if version == OcppVersion.V16:
        # A signed image's payload has "firmware" (firmware_update_payload): 1.6 SignedUpdateFirmware.
        return call16.SignedUpdateFirmware(**kwargs) if "firmware" in payload else call16.UpdateFirmware(**kwargs)
    return call201.UpdateFirmware(**kwargs)


def firmware_command_finished(*, command_id: int) -> None:
    """The Command reached a final status: record the station's answer on the FirmwareUpdate.

    Called inside the commands app's own transaction: a failure here is logged and rolled back to
    a savepoint, never allowed to undo the command's answer.
    """
    try:
        with transaction.atomic():
            _command_finished(command_id=command_id)
    except Exception:
        logger.exception("Could not record the answer of command %s on its firmware update", command_id)


def _command_finished(*, command_id: int) -> None:
    from commands.models import Command, CommandStatus

    command = Command.objects.filter(pk=command_id, action=ACTION).first()
    if command is None:
        return
    update = FirmwareUpdate.objects.filter(pk=command.parameters.get("firmware_update_id")).first()
    if update is None:
        return
    answer = command.answer if isinstance(command.answer, dict) else None
    if command.status in (CommandStatus.ACCEPTED, CommandStatus.REJECTED) and answer is not None:
        word = answer.get("status")
        if not word:
            # OCPP 1.6 UpdateFirmware.conf has no fields: the station took the request.
            firmware_update_answer(update=update, status=FirmwareStatus.SENT)
        elif word == "AcceptedCanceled":
            # 2.0.1 L01.FR.24: accepted, and the update that was running is canceled.
            _cancel_older(update=update)
            firmware_update_answer(update=update, status=FirmwareStatus.ACCEPTED, info="The update in progress was canceled.")
        else:
            info = (answer.get("statusInfo") or {}).get("additionalInfo") or (answer.get("statusInfo") or {}).get("reasonCode") or ""
            status = word if word in FirmwareStatus.values else FirmwareStatus.REJECTED
            firmware_update_answer(update=update, status=status, info=info)
        return
    firmware_update_answer(
        update=update,
        status=FirmwareStatus.SEND_FAILED,
        info=f"{command.get_status_display()}: {command.error}".strip(": "),
    )


def _cancel_older(*, update: FirmwareUpdate) -> None:
    for older in FirmwareUpdate.objects.open().filter(station_id=update.station_id, created_at__lt=update.created_at):
        firmware_update_event_record(
            station=update.station,
            update=older,
            status=FirmwareStatus.ACCEPTED_CANCELED,
            info=f"Canceled by the station for request {update.request_id}.",
            at=timezone.now(),
        )
