"""A network's local authorization list: versions, Full and Differential updates, what each station holds.

1.6 §5.15 SendLocalList / §5.10 GetLocalListVersion, 2.0.1 D01/D02. The list is built from the
network's IdToken entries only. Every time a list is sent and the allow-list changed since the
latest version, a new LocalListVersion freezes it; a Differential update is the difference between
the version the station holds and the current one (removed tokens go without idTokenInfo, D01.FR.17).

An update longer than the station takes in one message (1.6 SendLocalListMaxLength, 2.0.1
LocalAuthListCtrlr.ItemsPerMessage) goes in several SendLocalList messages, one after the other.
A station refuses a Differential whose version is not above the one it holds (1.6 VersionMismatch),
so each part gets a version of its own: the platform freezes the list as it stands after each part.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Literal

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from networks.models import Network
from sessions.models import AuthorizationStatus, IdToken, LocalListVersion, StationLocalList
from stations.models import ConfigurationKey, DeviceModelVariable, OcppVersion, Station

UpdateType = Literal["Full", "Differential"]
FULL: UpdateType = "Full"
DIFFERENTIAL: UpdateType = "Differential"

#: OCPP 1.6 IdToken is CiString20 (idTag, parentIdTag).
V16_ID_TAG_LENGTH = 20
#: Versions are handed out from 1 by the platform; the column (and stations' firmware) is 32-bit signed.
MAX_LIST_VERSION = 2**31 - 1


class LocalListRefused(ValueError):
    """The update cannot be sent to this station; the message says why and what to do."""


Entry = dict[str, Any]


@dataclass(frozen=True)
class LocalListPart:
    update_type: UpdateType
    version: int
    entries: list[Entry]

    def as_parameters(self) -> dict[str, Any]:
        return {"update_type": self.update_type, "version": self.version, "entries": self.entries}


@dataclass(frozen=True)
class LocalListUpdate:
    """What a station is sent: one or more parts, in order; the station holds the last part's version after."""

    parts: list[LocalListPart] = field(default_factory=list)

    def as_parameters(self) -> dict[str, Any]:
        # Only the first part's entries: each further part is rebuilt from the frozen versions when
        # the one before is accepted (local_list_next_part), so no command carries the whole list.
        first, *rest = self.parts
        return {**first.as_parameters(), "next_versions": [p.version for p in rest]}


@dataclass(frozen=True)
class LocalListLimits:
    """What the station reported about its local list (None: not reported)."""

    supported: bool | None = None
    per_message: int | None = None
    max_entries: int | None = None


# --- The network's list ---------------------------------------------------------------------------


def _key(token: str) -> str:
    # OCPP id tokens are CiString: one entry per token, whatever its case.
    return token.lower()


def _iso(at) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_list_entries(*, network: Network) -> list[Entry]:
    """The network's allow-list as local list entries, ordered by token (case-insensitively)."""
    now = timezone.now()
    entries = []
    rows = (
        IdToken.objects.filter(network=network)
        .select_related("group")
        .order_by(Lower("token"), "pk")
    )
    for row in rows:
        if row.status == AuthorizationStatus.BLOCKED:
            status = AuthorizationStatus.BLOCKED
        elif row.expires_at is not None and row.expires_at <= now:
            status = AuthorizationStatus.EXPIRED
        else:
            status = AuthorizationStatus.ACCEPTED
        entries.append(
            {
                "id_token": row.token,
                "type": row.token_type,
                "status": str(status),
                "expires_at": _iso(row.expires_at) if row.expires_at and status == AuthorizationStatus.ACCEPTED else None,
                "group": row.group.token if row.group else None,
                "group_type": row.group.token_type if row.group else None,
            }
        )
    return entries


def local_list_differential(old: list[Entry], new: list[Entry]) -> list[Entry]:
    """The entries that turn list ``old`` into ``new``: added or changed ones in full, removed ones
    as the token alone (no status: 2.0.1 D01.FR.17, 1.6 §5.15 "no idTagInfo: remove")."""
    before = {_key(e["id_token"]): e for e in old}
    after = {_key(e["id_token"]): e for e in new}
    changes = [e for k, e in after.items() if before.get(k) != e]
    changes += [{"id_token": e["id_token"], "type": e["type"]} for k, e in before.items() if k not in after]
    return sorted(changes, key=lambda e: _key(e["id_token"]))


def _apply(entries: list[Entry], changes: list[Entry]) -> list[Entry]:
    merged = {_key(e["id_token"]): e for e in entries}
    for change in changes:
        if "status" in change:
            merged[_key(change["id_token"])] = change
        else:
            merged.pop(_key(change["id_token"]), None)
    return [merged[k] for k in sorted(merged)]


def _version_create(*, network: Network, entries: list[Entry]) -> LocalListVersion:
    latest = LocalListVersion.objects.filter(network=network).order_by("-version").values_list("version", flat=True).first()
    return LocalListVersion.objects.create(network=network, version=(latest or 0) + 1, entries=entries)


def local_list_version_current(*, network: Network) -> LocalListVersion:
    """The version holding the network's allow-list as it is now: the latest one, or a new one if it changed."""
    entries = local_list_entries(network=network)
    with transaction.atomic():
        # Serialises version numbering per network (two operators sending at once).
        Network.objects.select_for_update().filter(pk=network.pk).first()
        latest = LocalListVersion.objects.filter(network=network).order_by("-version").first()
        if latest is not None and latest.entries == entries:
            return latest
        return _version_create(network=network, entries=entries)


# --- What a station takes --------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _bool(value: str | None) -> bool | None:
    text = str(value or "").strip().lower()
    return {"true": True, "false": False}.get(text)


def station_local_list_limits(*, station: Station) -> LocalListLimits:
    """The station's reported local list support and sizes (1.6 configuration keys, 2.0.1 LocalAuthListCtrlr)."""
    if station.ocpp_version == OcppVersion.V201:
        rows = DeviceModelVariable.objects.filter(station=station, component="LocalAuthListCtrlr", attribute_type="Actual")
        values = {r.variable: r for r in rows}
        available = _bool(values["Available"].value) if "Available" in values else None
        per_message = _int(values["ItemsPerMessage"].value) if "ItemsPerMessage" in values else None
        entries = values.get("Entries")
        max_entries = int(entries.max_limit) if entries is not None and entries.max_limit is not None and entries.max_limit >= 0 else None
        return LocalListLimits(supported=available, per_message=per_message or None, max_entries=max_entries)
    keys = dict(
        ConfigurationKey.objects.filter(
            station=station,
            key__in=["SupportedFeatureProfiles", "LocalAuthListEnabled", "SendLocalListMaxLength", "LocalAuthListMaxLength"],
        ).values_list("key", "value")
    )
    supported = None
    if "SupportedFeatureProfiles" in keys:
        profiles = {p.strip().lower() for p in keys["SupportedFeatureProfiles"].split(",")}
        supported = "localauthlistmanagement" in profiles
    return LocalListLimits(
        supported=supported,
        per_message=_int(keys.get("SendLocalListMaxLength")) or None,
        max_entries=_int(keys.get("LocalAuthListMaxLength")),
    )


def station_local_list_version(*, station: Station) -> int | None:
    """The version the station confirmed holding; None when the platform does not know."""
    return StationLocalList.objects.filter(station=station).values_list("version", flat=True).first()


def local_list_update(*, station: Station, update_type: UpdateType) -> LocalListUpdate:
    """Plan the SendLocalList message(s) that bring ``station`` to its network's current list.

    Raises LocalListRefused with the reason when the station cannot take it.
    """
    limits = station_local_list_limits(station=station)
    held = StationLocalList.objects.filter(station=station).first()
    if limits.supported is False or (held is not None and held.supported is False):
        raise LocalListRefused("The station does not support a local authorization list (it reported so).")
    current = local_list_version_current(network=station.network)
    target = current.entries
    if limits.max_entries is not None and len(target) > limits.max_entries:
        raise LocalListRefused(
            f"The list has {len(target)} entries; the station holds at most {limits.max_entries}. Remove tokens from the allow-list first."
        )
    if station.ocpp_version == OcppVersion.V16:
        too_long = [e["id_token"] for e in target if len(e["id_token"]) > V16_ID_TAG_LENGTH]
        if too_long:
            raise LocalListRefused(
                f"OCPP 1.6 idTags are at most {V16_ID_TAG_LENGTH} characters; the allow-list has longer ones: {', '.join(too_long[:5])}."
            )
    if update_type == FULL:
        base: list[Entry] = []
        changes = list(target)
    else:
        version = held.version if held is not None else None
        if version is None:
            raise LocalListRefused(
                "The platform does not know which list version the station holds: ask it with Get local list version, or send a Full list."
            )
        if version == 0:
            base = []
        else:
            known = LocalListVersion.objects.filter(network=station.network, version=version).first()
            if known is None or held.network_id != station.network_id:
                raise LocalListRefused(
                    f"The station holds list version {version}, which the platform did not send it in this network: send a Full list."
                )
            base = known.entries
        if version >= current.version:
            if base == target:
                raise LocalListRefused(f"The station already holds version {version}, the current list: nothing to send.")
            raise LocalListRefused(f"The station holds version {version}, above this network's {current.version}: send a Full list.")
        changes = local_list_differential(base, target)
    size = limits.per_message
    if size is None or len(changes) <= size:
        return LocalListUpdate(parts=[LocalListPart(update_type, current.version, changes)])
    chunks = [changes[i : i + size] for i in range(0, len(changes), size)]
    parts = []
    state = base
    with transaction.atomic():
        Network.objects.select_for_update().filter(pk=station.network_id).first()
        for index, chunk in enumerate(chunks):
            state = _apply(state, chunk)
            # Each part is a version of its own, above the one before (see the module's docstring);
            # the last one holds the whole current list.
            version = _version_create(network=station.network, entries=state)
            parts.append(LocalListPart(update_type if index == 0 else DIFFERENTIAL, version.version, chunk))
    return LocalListUpdate(parts=parts)


def local_list_next_part(*, network: Network, held_version: int, next_version: int) -> LocalListPart:
    """The Differential part that takes a station from ``held_version`` to ``next_version`` (both frozen)."""
    versions = {v.version: v.entries for v in LocalListVersion.objects.filter(network=network, version__in=[held_version, next_version])}
    if next_version not in versions or held_version not in versions:
        raise LocalListRefused(f"List version {held_version} or {next_version} of {network} is gone: send a Full list.")
    return LocalListPart(DIFFERENTIAL, next_version, local_list_differential(versions[held_version], versions[next_version]))


# --- The station's answers ---------------------------------------------------------------------------


def station_local_list_sent(*, station: Station, version: int, result: str) -> None:
    """A SendLocalList was answered: remember what the station now holds (or that it cannot)."""
    values: dict[str, Any] = {"last_result": result[:50]}
    if result == "Accepted":
        values.update(version=version, supported=True, network=station.network)
    elif result == "NotSupported":
        values["supported"] = False
    elif result == "VersionMismatch":
        # The station holds another version than the platform thought: ask it, or send a Full list.
        values["version"] = None
    StationLocalList.objects.update_or_create(station=station, defaults=values)


def station_local_list_reported(*, station: Station, version: int) -> None:
    """GetLocalListVersion answered: 0 is no list; 1.6 -1 is no local list support (§6.29)."""
    held = StationLocalList.objects.filter(station=station).first()
    # The list stays placed only when the station reports the very version this network sent it.
    placed = held is not None and held.version == version and held.network_id == station.network_id
    if version < 0:
        values: dict[str, Any] = {"version": None, "supported": False, "network": None}
    else:
        values = {"version": version, "supported": True, "network": station.network if placed else None}
    StationLocalList.objects.update_or_create(station=station, defaults=values)


# --- A whole network ----------------------------------------------------------------------------------

#: The local list actions an operator sends to every station of a network at once.
NETWORK_ACTIONS = ("send_local_list", "get_local_list_version")


@dataclass(frozen=True)
class StationOutcome:
    """One station's share of a network-wide send: its command, or why none was made."""

    station: Station
    command: Any = None
    error: str = ""


def local_list_network_send(
    *, network: Network, action: str, parameters: dict[str, Any], requested_by=None
) -> list[StationOutcome]:
    """Queue ``action`` (send_local_list or get_local_list_version) once for every station of ``network``.

    Each station's command goes through the action's form, so each gets the update its own held
    version and limits call for; a station that cannot take it is reported, never skipped silently.
    The caller has checked that ``requested_by`` may change ``network`` (write role).
    """
    from django.core.exceptions import ValidationError

    from commands.services import command_request

    if action not in NETWORK_ACTIONS:
        raise ValueError(f"{action} is not a local list action; one of {', '.join(NETWORK_ACTIONS)}.")
    outcomes = []
    for station in Station.objects.filter(network=network).select_related("network").order_by("identity"):
        try:
            with transaction.atomic():
                command = command_request(station=station, action=action, parameters=parameters, requested_by=requested_by)
        except ValidationError as exc:
            messages = [m for field_messages in exc.message_dict.values() for m in field_messages]
            outcomes.append(StationOutcome(station=station, error=" ".join(messages)))
        else:
            outcomes.append(StationOutcome(station=station, command=command))
    return outcomes
