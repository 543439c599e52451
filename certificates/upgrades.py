"""Security-profile upgrades (OCPP 2.0.1 A05; 1.6 Security Whitepaper A05), one step at a time.

Each step that talks to the station is a Command (commands framework); its outcome comes back
through the command's listener (``upgrade_command_finished``) and starts the next step, so the upgrade advances the same
way with a Celery worker or in the embedded single-process setup. Two steps wait for the station
instead: its signed certificate (profile 3) and its reconnection after the switch.

2.0.1: read NetworkConfigurationPriority → InstallCertificate (CSMSRootCertificate) → [profile 3:
TriggerMessage SignChargingStationCertificate → certificate delivered] → SetNetworkProfile in a
free slot (wss URL, target profile) → SetVariables NetworkConfigurationPriority "<new>,<old>" →
Reset OnIdle → reconnected on the target profile → minimum raised.
1.6: InstallCertificate (CentralSystemRootCertificate) → [profile 3: ExtendedTriggerMessage
SignChargePointCertificate → certificate delivered] → ChangeConfiguration SecurityProfile →
reconnected on the target profile → minimum raised.

The minimum (``Station.security_profile``) is raised only after the station came back on the new
profile: a failed upgrade leaves it reachable on the old one, and 2.0.1 keeps the old slot second
in the priority list, which is where a station falls back to (B09/B10).
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates import remote
from certificates.models import (
    CertificateRequest,
    CertificateRequestStatus,
    UpgradeRecord,
    UpgradeStatus,
    UpgradeStep,
)
from stations.models import OcppVersion, SecurityProfile, Station

# The commands registry's name for upgrade_command_finished (certificates.actions registers it):
# each step's command carries it, so a plain reset or configuration change never looks up a step.
UPGRADE_LISTENER = "certificates.upgrade_step"
# Steps that end with the station going away and coming back.
SWITCH_STEPS = ("reset", "security_profile")


class UpgradeRefused(ValueError):
    """The upgrade cannot start; the message says why."""


def _plan(upgrade: UpgradeRecord) -> list[str]:
    csr = ["csr", "certificate"] if upgrade.target_profile == SecurityProfile.TLS_CLIENT_CERT and not _has_valid_certificate(upgrade.station) else []
    if upgrade.ocpp_version == OcppVersion.V201:
        return ["priority", "install_ca", *csr, "network_profile", "priority_set", "reset", "reconnect"]
    return ["install_ca", *csr, "security_profile", "reconnect"]


def _has_valid_certificate(station: Station) -> bool:
    return CertificateRequest.objects.filter(
        station=station, status=CertificateRequestStatus.DELIVERED, not_after__gt=timezone.now()
    ).exists()


def upgrade_target_url() -> str:
    url = settings.OCPP_TLS_PUBLIC_URL or (settings.OCPP_PUBLIC_URL if settings.OCPP_PUBLIC_URL.startswith("wss://") else "")
    if not url:
        raise UpgradeRefused("Set OCPP_TLS_PUBLIC_URL (the wss:// URL nginx serves) before upgrading stations.")
    return url


def upgrade_check(*, station: Station, target_profile: int) -> str:
    """Why the upgrade cannot start (UpgradeRefused), else the wss:// URL it will move the station to."""
    from certificates import pki
    from certificates.authority import pki_current

    if target_profile not in (SecurityProfile.TLS_BASIC, SecurityProfile.TLS_CLIENT_CERT):
        raise UpgradeRefused("The target profile must be 2 or 3.")
    if target_profile <= station.security_profile:
        raise UpgradeRefused(f"The station already requires profile {station.security_profile}.")
    if station.ocpp_version not in (OcppVersion.V16, OcppVersion.V201):
        raise UpgradeRefused("The station's OCPP version is not known yet: let it connect and boot first.")
    if not station.channel_name:
        raise UpgradeRefused("The station is offline.")
    try:
        pki_current()
    except pki.PkiError as exc:
        raise UpgradeRefused(str(exc)) from None
    return upgrade_target_url()


def upgrade_start(*, station: Station, target_profile: int, requested_by=None) -> UpgradeRecord:
    url = upgrade_check(station=station, target_profile=target_profile)
    with transaction.atomic():
        Station.objects.select_for_update().filter(pk=station.pk).first()
        # Without a Celery timer (embedded setup) an abandoned upgrade is expired here instead.
        stale = timezone.now() - timedelta(seconds=settings.SECURITY_UPGRADE_TIMEOUT)
        for upgrade_id in UpgradeRecord.objects.filter(station=station, status=UpgradeStatus.RUNNING, created_at__lt=stale).values_list("pk", flat=True):
            upgrade_expire(upgrade_id=upgrade_id)
        if UpgradeRecord.objects.filter(station=station, status=UpgradeStatus.RUNNING).exists():
            raise UpgradeRefused("An upgrade of this station is already running.")
        upgrade = UpgradeRecord.objects.create(
            station=station,
            from_profile=station.security_profile,
            target_profile=target_profile,
            target_url=url,
            ocpp_version=station.ocpp_version,
            requested_by=requested_by,
        )
        upgrade.plan = _plan(upgrade)
        upgrade.save(update_fields=["plan"])
        _start_step(upgrade, upgrade.plan[0])
    _schedule_expiry(upgrade)
    return upgrade


def _schedule_expiry(upgrade: UpgradeRecord) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # no timer in the embedded setup: a stuck upgrade is superseded by the next one
    from certificates.tasks import upgrade_expire

    transaction.on_commit(lambda: upgrade_expire.apply_async((upgrade.pk,), countdown=settings.SECURITY_UPGRADE_TIMEOUT))


_NAMES = {
    "priority": "Read OCPPCommCtrlr.NetworkConfigurationPriority (GetVariables)",
    "install_ca": "Install the platform CA (InstallCertificate)",
    "csr": "Ask for a client certificate (trigger SignCertificate)",
    "certificate": "Client certificate signed and accepted (CertificateSigned)",
    "network_profile": "SetNetworkProfile: {url} with profile {target} in slot {slot}",
    "priority_set": "SetVariables NetworkConfigurationPriority = {priority}",
    "reset": "Reset OnIdle",
    "security_profile": "ChangeConfiguration SecurityProfile = {target}",
    "reconnect": "Station reconnected on profile {target}",
}


def _priority(upgrade: UpgradeRecord) -> str:
    return ",".join(str(s) for s in [upgrade.network_slot, *_slots(upgrade.previous_priority)])


def _slots(priority: str) -> list[int]:
    return [int(part) for part in priority.replace(" ", "").split(",") if part.strip().isdigit()]


def _start_step(upgrade: UpgradeRecord, key: str) -> UpgradeStep:
    from certificates.security_commands import security_command_create, security_command_dispatch

    name = _NAMES[key].format(
        url=upgrade.target_url, target=upgrade.target_profile, slot=upgrade.network_slot,
        priority=_priority(upgrade) if upgrade.network_slot is not None else "",
    )
    step = UpgradeStep.objects.create(upgrade=upgrade, key=key, name=name)
    action, parameters = _command_for(upgrade, key)
    if action is None:
        return step  # a step that waits for the station
    step.command = security_command_create(
        station=upgrade.station, action=action, parameters=parameters, requested_by=upgrade.requested_by,
        listener=UPGRADE_LISTENER,
    )
    step.save(update_fields=["command"])
    security_command_dispatch(command=step.command)
    return step


def _command_for(upgrade: UpgradeRecord, key: str) -> tuple[str | None, dict]:
    if key == "priority":
        return remote.GET_PRIORITY, {}
    if key == "install_ca":
        return remote.INSTALL_CA, {}
    if key == "csr":
        return remote.TRIGGER_CSR, {}
    if key == "network_profile":
        return remote.NETWORK_PROFILE, {
            "slot": upgrade.network_slot, "url": upgrade.target_url, "security_profile": upgrade.target_profile
        }
    if key == "priority_set":
        return "change_configuration", {
            "component": "OCPPCommCtrlr", "variable": "NetworkConfigurationPriority", "value": _priority(upgrade)
        }
    if key == "reset":
        return "reset", {"when": "on_idle"}
    if key == "security_profile":
        return "change_configuration", {"key": "SecurityProfile", "value": str(upgrade.target_profile)}
    return None, {}


def _finish_step(step: UpgradeStep, *, ok: bool, detail: str) -> bool:
    """Close a running step once (the command hook and the reconnection may race for it)."""
    return bool(
        UpgradeStep.objects.filter(pk=step.pk, status=UpgradeStep.Status.RUNNING).update(
            status=UpgradeStep.Status.DONE if ok else UpgradeStep.Status.FAILED,
            detail=detail[:2000],
            finished_at=timezone.now(),
        )
    )


def _fail(upgrade: UpgradeRecord, error: str) -> None:
    UpgradeRecord.objects.filter(pk=upgrade.pk, status=UpgradeStatus.RUNNING).update(
        status=UpgradeStatus.FAILED,
        error=f"{error} The station stays on security profile {upgrade.from_profile}."[:2000],
        finished_at=timezone.now(),
    )


def _next(upgrade: UpgradeRecord, after: str) -> None:
    plan = upgrade.plan
    index = plan.index(after) + 1
    if index < len(plan):
        _start_step(upgrade, plan[index])


def upgrade_command_finished(*, command) -> None:
    """The outcome hook: a step's command reached a final status."""
    from commands.models import CommandStatus

    step = UpgradeStep.objects.select_related("upgrade__station").filter(command_id=command.pk).first()
    if step is None or step.upgrade.status != UpgradeStatus.RUNNING:
        return
    upgrade = step.upgrade
    answer = command.answer or {}
    detail = f"{command.get_status_display()} {command.result}".strip() + (f": {command.error}" if command.error else "")
    if step.key == "priority":
        results = answer.get("getVariableResult") or [{}]
        if results[0].get("attributeStatus") != "Accepted":
            _finish_step(step, ok=False, detail=detail or "no value")
            _fail(upgrade, "The station did not report NetworkConfigurationPriority.")
            return
        previous = results[0].get("attributeValue", "")
        used = _slots(previous)
        upgrade.previous_priority = ",".join(str(s) for s in used)
        upgrade.network_slot = next(slot for slot in range(0, 100) if slot not in used)
        upgrade.save(update_fields=["previous_priority", "network_slot"])
        if _finish_step(step, ok=True, detail=f"NetworkConfigurationPriority = {previous!r}; free slot {upgrade.network_slot}"):
            _next(upgrade, step.key)
        return
    if step.key in SWITCH_STEPS and command.status == CommandStatus.TIMED_OUT:
        # The station may have gone before answering: the reconnection decides.
        return
    if command.status != CommandStatus.ACCEPTED:
        if _finish_step(step, ok=False, detail=detail):
            _fail(upgrade, f"Step failed: {step.name} ({detail}).")
        return
    if _finish_step(step, ok=True, detail=detail):
        _next(upgrade, step.key)


def upgrade_certificate_delivered(*, request: CertificateRequest) -> None:
    """Hook from certificate_request_delivered: the 'certificate' step waits for this."""
    step = (
        UpgradeStep.objects.select_related("upgrade__station")
        .filter(upgrade__station_id=request.station_id, upgrade__status=UpgradeStatus.RUNNING, key="certificate",
                status=UpgradeStep.Status.RUNNING)
        .first()
    )
    if step is None:
        return
    if request.status == CertificateRequestStatus.DELIVERED:
        if _finish_step(step, ok=True, detail=f"serial {request.serial_number}, valid until {request.not_after:%Y-%m-%d}"):
            _next(step.upgrade, "certificate")
    else:
        if _finish_step(step, ok=False, detail=f"{request.get_status_display()}: {request.detail}"):
            _fail(step.upgrade, f"The client certificate was not installed ({request.detail}).")


def upgrade_station_connected(*, station: Station, profile: int) -> None:
    """Hook from station_connection_secured: the station came back after the switch."""
    upgrade = UpgradeRecord.objects.filter(station=station, status=UpgradeStatus.RUNNING).first()
    if upgrade is None:
        return
    step = upgrade.steps.filter(status=UpgradeStep.Status.RUNNING).order_by("-started_at", "-id").first()
    if step is None:
        return
    if step.key in SWITCH_STEPS:
        if step.command is None or step.command.sent_at is None:
            return  # a reconnection before the switch was even sent says nothing
        # The station answered (its answer may be recorded only after this) and went away.
        if not _finish_step(step, ok=True, detail="the station disconnected and came back"):
            return
        step = _start_step(upgrade, "reconnect")
    if step.key != "reconnect":
        return
    if profile >= upgrade.target_profile:
        if _finish_step(step, ok=True, detail=f"connected on profile {profile}"):
            from certificates.admission import station_security_profile_raise

            station_security_profile_raise(station=station, profile=upgrade.target_profile)
            UpgradeRecord.objects.filter(pk=upgrade.pk, status=UpgradeStatus.RUNNING).update(
                status=UpgradeStatus.SUCCEEDED, finished_at=timezone.now()
            )
    elif _finish_step(step, ok=False, detail=f"came back on profile {profile}"):
        _fail(upgrade, f"The station came back on profile {profile}, not {upgrade.target_profile}: the new connection did not work.")


def upgrade_expire(*, upgrade_id: int) -> None:
    upgrade = UpgradeRecord.objects.filter(pk=upgrade_id, status=UpgradeStatus.RUNNING).first()
    if upgrade is None:
        return
    step = upgrade.steps.filter(status=UpgradeStep.Status.RUNNING).first()
    if step is not None:
        _finish_step(step, ok=False, detail="timed out")
    _fail(upgrade, f"Timed out after {settings.SECURITY_UPGRADE_TIMEOUT} s" + (f" at: {step.name}." if step else "."))
