"""Remote start and stop (OCPP 1.6 §5.11/§5.12 RemoteStart/StopTransaction, 2.0.1 F01/F03) and the
local authorization list (1.6 §5.15/§5.10 SendLocalList/GetLocalListVersion, 2.0.1 D01/D02),
registered with ``commands.registry`` from ``ChargingSessionsConfig.ready()``."""
from __future__ import annotations

from typing import Any

from django import forms
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V16, V201, ActionForm, choices
from sessions.services import local_list

ID_TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"]


def _refuse(params: dict[str, Any], names: tuple[str, ...], version: str) -> None:
    given = [n for n in names if params.get(n) not in (None, "")]
    if given:
        raise ValueError(f"OCPP {version} has no place for {', '.join(given)}: the station connected with OCPP {version}.")


class RemoteStartForm(ActionForm):
    id_tag = forms.CharField(max_length=36, label="id token", help_text="OCPP 1.6: at most 20 characters.")
    id_token_type = forms.ChoiceField(
        choices=choices(ID_TOKEN_TYPES, blank="Central (default)"), required=False, help_text="OCPP 2.0.1 only."
    )
    connector_id = forms.IntegerField(min_value=1, required=False, label="connector id", help_text="OCPP 1.6 only.")
    evse_id = forms.IntegerField(min_value=1, required=False, label="EVSE id", help_text="OCPP 2.0.1 only.")
    # 1.6 §5.11 / 2.0.1 F01: the session may start under a TxProfile of its own (smart charging).
    charging_limit = forms.FloatField(
        required=False, min_value=0, max_value=100_000, help_text="Optional: the session's limit from its start (a TxProfile)."
    )
    charging_rate_unit = forms.ChoiceField(
        choices=choices(["A", "W"], blank="A (default)"), required=False, help_text="The charging limit's unit: A per phase or W."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("charging_rate_unit") and cleaned.get("charging_limit") is None:
            self.add_error("charging_limit", "Give the limit its unit applies to.")
        if cleaned.get("charging_limit") is not None:
            # The 1.6 schema wants multiples of 0.1.
            cleaned["charging_limit"] = round(cleaned["charging_limit"], 1)
        if self.version == V16 and len(cleaned.get("id_tag") or "") > 20:
            self.add_error("id_tag", "OCPP 1.6 idTag is at most 20 characters.")
        self.only_for("id_token_type", V201)
        self.only_for("connector_id", V16)
        self.only_for("evse_id", V201)
        return cleaned


def _start_profile(command, version: str) -> dict[str, Any] | None:
    """The TxProfile a remote start carries: no transactionId, it applies to the transaction it starts
    (1.6 §5.11; 2.0.1 F01.FR.08/K05). Its id is the command's, unique on the station."""
    p = command.parameters
    if p.get("charging_limit") is None:
        return None
    period = {"start_period": 0, "limit": float(p["charging_limit"])}
    schedule = {"charging_rate_unit": p.get("charging_rate_unit") or "A", "charging_schedule_period": [period]}
    profile = {"stack_level": 0, "charging_profile_purpose": "TxProfile", "charging_profile_kind": "Relative"}
    if version == "1.6":
        return {"charging_profile_id": command.pk, **profile, "charging_schedule": schedule}
    return {"id": command.pk, **profile, "charging_schedule": [{"id": command.pk, **schedule}]}


def _start_v16(command):
    p = command.parameters
    _refuse(p, ("evse_id", "id_token_type"), "1.6")
    return call16.RemoteStartTransaction(
        id_tag=p["id_tag"], connector_id=p.get("connector_id"), charging_profile=_start_profile(command, "1.6")
    )


def _start_v201(command):
    p = command.parameters
    return call201.RequestStartTransaction(
        id_token={"id_token": p["id_tag"], "type": p.get("id_token_type") or "Central"},
        # F01: the station echoes remoteStartId in its TransactionEvent, tying the session to this command.
        remote_start_id=command.pk,
        evse_id=p.get("evse_id"),
        charging_profile=_start_profile(command, "2.0.1"),
    )


class RemoteStopForm(ActionForm):
    transaction_id = forms.CharField(max_length=36, label="transaction id", help_text="OCPP 1.6: a number.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.version == V16 and cleaned.get("transaction_id"):
            try:
                int(cleaned["transaction_id"])
            except ValueError:
                self.add_error("transaction_id", "OCPP 1.6 transaction ids are integers.")
        return cleaned


def _stop_v16(command):
    try:
        return call16.RemoteStopTransaction(transaction_id=int(command.parameters["transaction_id"]))
    except ValueError:
        raise ValueError("OCPP 1.6 transaction ids are integers.") from None


def _stop_v201(command):
    return call201.RequestStopTransaction(transaction_id=str(command.parameters["transaction_id"]))


# --- Local authorization list ------------------------------------------------------------------


class SendLocalListForm(ActionForm):
    update_type = forms.ChoiceField(
        choices=choices([local_list.FULL, local_list.DIFFERENTIAL]),
        initial=local_list.FULL,
        label="update type",
        help_text="Full replaces the station's list with the network's allow-list; Differential sends the changes "
        "since the version the station holds.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.update = None
        if cleaned.get("update_type"):
            try:
                # Built here, where the database is at hand: the builder runs on the gateway's loop.
                self.update = local_list.local_list_update(station=self.station, update_type=cleaned["update_type"])
            except local_list.LocalListRefused as exc:
                self.add_error("update_type", str(exc))
        return cleaned

    def parameters(self) -> dict[str, Any]:
        return self.update.as_parameters()


def _entry_v16(entry: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id_tag": entry["id_token"]}
    if "status" in entry:  # absent: remove the token (Differential)
        info: dict[str, Any] = {"status": entry["status"]}
        if entry.get("expires_at"):
            info["expiry_date"] = entry["expires_at"]
        if entry.get("group") and len(entry["group"]) <= local_list.V16_ID_TAG_LENGTH:
            info["parent_id_tag"] = entry["group"]
        item["id_tag_info"] = info
    return item


def _entry_v201(entry: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id_token": {"id_token": entry["id_token"], "type": entry["type"]}}
    if "status" in entry:  # absent: remove the token (D01.FR.17)
        info: dict[str, Any] = {"status": entry["status"]}
        if entry.get("expires_at"):
            info["cache_expiry_date_time"] = entry["expires_at"]
        if entry.get("group"):
            info["group_id_token"] = {"id_token": entry["group"], "type": entry.get("group_type") or "Central"}
        item["id_token_info"] = info
    return item


def _send_list_v16(command):
    p = command.parameters
    return call16.SendLocalList(
        list_version=p["version"], update_type=p["update_type"], local_authorization_list=[_entry_v16(e) for e in p["entries"]]
    )


def _send_list_v201(command):
    p = command.parameters
    return call201.SendLocalList(
        version_number=p["version"],
        update_type=p["update_type"],
        # The schema wants at least one item: an empty Full list (clear the station's) omits it.
        local_authorization_list=[_entry_v201(e) for e in p["entries"]] or None,
    )


def _send_list_finished(command) -> None:
    if not command.result:
        return  # timed out, offline, failed: the station's list is as it was
    p = command.parameters
    local_list.station_local_list_sent(station=command.station, version=p["version"], result=command.result)
    if command.result in ("VersionMismatch", "Failed") and p["update_type"] == local_list.DIFFERENTIAL:
        # 1.6 §5.15: after a Differential answered Failed or VersionMismatch the Central System
        # SHOULD send the full list. Once: a Full update is never retried by itself.
        _send_full_instead(command)
    elif command.result == "Accepted" and p.get("next_versions"):
        # The next part of a list longer than one message: sent once this one is in.
        from commands.services import command_create

        following, *rest = p["next_versions"]
        try:
            part = local_list.local_list_next_part(network=command.station.network, held_version=p["version"], next_version=following)
        except local_list.LocalListRefused:
            return
        command_create(
            station=command.station,
            action="send_local_list",
            parameters={**part.as_parameters(), "next_versions": rest},
            requested_by=command.requested_by,
        )


def _send_full_instead(command) -> None:
    from commands.services import command_create

    try:
        update = local_list.local_list_update(station=command.station, update_type=local_list.FULL)
    except local_list.LocalListRefused:
        return  # the station cannot take the list at all: its answer stays on the command
    command_create(
        station=command.station, action="send_local_list", parameters=update.as_parameters(), requested_by=command.requested_by
    )


class GetLocalListVersionForm(ActionForm):
    pass


def _list_version_number(answer: dict[str, Any]) -> Any:
    return answer.get("listVersion", answer.get("versionNumber")) if isinstance(answer, dict) else None


def _list_version(answer: dict[str, Any]) -> int | None:
    """The reported version, bounded (stations.bounds): the platform hands out versions from 1, so one
    outside -1..MAX_LIST_VERSION is none it sent, and is not stored (the column is 32-bit)."""
    value = _list_version_number(answer)
    if type(value) is not int or not -1 <= value <= local_list.MAX_LIST_VERSION:
        return None
    return value


def _list_version_word(answer: dict[str, Any]) -> str:
    version = _list_version(answer)
    if version is None:
        return "Version out of range" if type(_list_version_number(answer)) is int else ""
    # 1.6 §6.29: -1 means the station has no local list support.
    return "NotSupported" if version < 0 else f"Version {version}"


class _VersionWords(frozenset):
    """GetLocalListVersion has no status: every version the station reports is an accepted answer."""

    def __contains__(self, word: object) -> bool:
        return str(word).startswith("Version ")


def _list_version_finished(command) -> None:
    version = _list_version(command.answer or {})
    if version is not None:
        local_list.station_local_list_reported(station=command.station, version=version)


class GetTransactionStatusForm(ActionForm):
    transaction_id = forms.CharField(
        max_length=36, required=False, label="transaction id",
        help_text="Empty: ask whether the station holds any transaction messages not yet delivered (E14.FR.06).",
    )


def _transaction_status_v201(command):
    # E14.FR.06: without transactionId the station answers for all its queued transaction messages.
    return call201.GetTransactionStatus(transaction_id=command.parameters.get("transaction_id") or None)


# The answer as the command shows it: ongoingIndicator (present only when a transactionId was asked,
# E14.FR.02/03/06) and messagesInQueue (E14.FR.04/05/07/08).
_ONGOING = {True: "Ongoing", False: "Ended", None: ""}


def transaction_status_result(answer: dict[str, Any]) -> str:
    queue = "messages in queue" if answer.get("messagesInQueue") else "no messages in queue"
    ongoing = _ONGOING.get(answer.get("ongoingIndicator"), "")
    return f"{ongoing}, {queue}" if ongoing else queue.capitalize()


TRANSACTION_STATUS_RESULTS = frozenset(
    transaction_status_result({"ongoingIndicator": ongoing, "messagesInQueue": queued})
    for ongoing in (True, False, None)
    for queued in (True, False)
)


def register() -> None:
    registry.register(
        registry.RemoteAction(
            name="send_local_list",
            label="Send local list",
            description="Send the network's allow-list as the station's local authorization list, in full or the changes "
            "since the version it holds (1.6 SendLocalList, 2.0.1 SendLocalList).",
            form=SendLocalListForm,
            build={V16: _send_list_v16, V201: _send_list_v201},
            accepting=frozenset({"Accepted"}),
            on_final=_send_list_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name="get_local_list_version",
            label="Get local list version",
            description="Ask which local authorization list version the station holds (0: none).",
            form=GetLocalListVersionForm,
            build={V16: lambda command: call16.GetLocalListVersion(), V201: lambda command: call201.GetLocalListVersion()},
            result=_list_version_word,
            accepting=_VersionWords(),
            on_final=_list_version_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name="remote_start",
            label="Remote start",
            description="Start a charging session for an id token (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction).",
            form=RemoteStartForm,
            build={V16: _start_v16, V201: _start_v201},
        )
    )
    registry.register(
        registry.RemoteAction(
            name="remote_stop",
            label="Remote stop",
            description="Stop a charging session by its transaction id.",
            form=RemoteStopForm,
            build={V16: _stop_v16, V201: _stop_v201},
        )
    )
    registry.register(
        registry.RemoteAction(
            name="get_transaction_status",
            label="Get transaction status",
            description="Ask whether a transaction is still ongoing and whether its messages are queued (2.0.1 E14).",
            form=GetTransactionStatusForm,
            build={V201: _transaction_status_v201},
            result=transaction_status_result,
            # Every answer is an answer: the command is accepted and its result says what the station said.
            accepting=TRANSACTION_STATUS_RESULTS,
        )
    )
