"""The firmware app's remote action (OCPP 1.6 §6.52 UpdateFirmware, 2.0.1 L01), registered with
``commands.registry`` from ``FirmwareConfig.ready()``. It has no operator form: updates are created
by ``firmware.dispatch.firmware_update_dispatch`` (the firmware pages, API and admin)."""
from __future__ import annotations

from typing import Any

from commands import registry
from firmware.dispatch import ACTION, firmware_command_finished, firmware_update_call
from stations.models import OcppVersion


def _result(answer: dict[str, Any]) -> str:
    # OCPP 1.6 UpdateFirmware.conf has no fields (§6.53): the station took it.
    return registry.status_word(answer) if answer else "Accepted"


def register() -> None:
    registry.register(
        registry.RemoteAction(
            name=ACTION,
            label="Update firmware",
            description="Install a firmware image from the platform's signed link.",
            form=None,
            build={
                OcppVersion.V16.value: lambda command: firmware_update_call(command, version=OcppVersion.V16.value),
                OcppVersion.V201.value: lambda command: firmware_update_call(command, version=OcppVersion.V201.value),
            },
            result=_result,
            # 2.0.1 L01.FR.24: accepted, and the update that was running is canceled.
            accepting=registry.DEFAULT_ACCEPTING | {"AcceptedCanceled"},
            on_final=lambda command: firmware_command_finished(command_id=command.pk),
        )
    )
