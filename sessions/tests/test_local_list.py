"""The local authorization list: versions, differentials, scoping, station limits, and the requests it builds."""
from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, _validate_payload

from commands import registry
from commands.models import Command
from commands.services import command_parameters_clean
from sessions.models import IdToken, IdTokenGroup, LocalListVersion, StationLocalList
from sessions.services import local_list
from sessions.services.local_list import LocalListRefused, local_list_differential, local_list_update
from stations.models import ConfigurationKey, DeviceModelVariable


def entry(token, status="Accepted", **extra):
    return {"id_token": token, "type": "ISO14443", "status": status, "expires_at": None, "group": None, "group_type": None, **extra}


def wire(payload, version: str) -> dict:
    """The request as the gateway puts it on the wire, validated against the OCA schema."""
    call = Call(unique_id="1", action=payload.__class__.__name__, payload=remove_nones(snake_to_camel_case(serialize_as_dict(payload))))
    _validate_payload(call, version)
    return json.loads(call.to_json())[3]


def build(station, version: str, parameters: dict) -> dict:
    station.ocpp_version = version
    command = Command(station=station, action="send_local_list", parameters=parameters)
    return wire(registry.get("send_local_list").build_request(command, version=version), version)


# --- Differential --------------------------------------------------------------------------------


def test_a_differential_holds_added_and_changed_entries_in_full_and_removed_ones_as_the_token_alone():
    old = [entry("AAA"), entry("BBB"), entry("CCC")]
    new = [entry("aaa"), entry("BBB", "Blocked"), entry("DDD")]
    assert local_list_differential(old, new) == [
        entry("aaa"),  # the token's case changed: sent again
        entry("BBB", "Blocked"),
        {"id_token": "CCC", "type": "ISO14443"},
        entry("DDD"),
    ]


def test_an_unchanged_list_has_an_empty_differential():
    assert local_list_differential([entry("A"), entry("B")], [entry("A"), entry("B")]) == []


def test_a_differential_from_nothing_is_the_whole_list():
    assert local_list_differential([], [entry("A")]) == [entry("A")]


# --- Versions and scoping --------------------------------------------------------------------------


def test_versions_start_at_one_and_change_only_with_the_allow_list(network_a):
    IdToken.objects.create(network=network_a, token="CARD-1")
    first = local_list.local_list_version_current(network=network_a)
    assert first.version == 1
    assert local_list.local_list_version_current(network=network_a).pk == first.pk
    IdToken.objects.create(network=network_a, token="CARD-2", status="Blocked")
    second = local_list.local_list_version_current(network=network_a)
    assert second.version == 2
    assert [(e["id_token"], e["status"]) for e in second.entries] == [("CARD-1", "Accepted"), ("CARD-2", "Blocked")]


def test_another_networks_tokens_never_enter_a_list(network_a, network_b, station_a):
    IdToken.objects.create(network=network_a, token="A-CARD")
    group_b = IdTokenGroup.objects.create(network=network_b, token="B-GROUP")
    IdToken.objects.create(network=network_b, token="B-CARD", group=group_b)
    update = local_list_update(station=station_a, update_type="Full")
    assert [e["id_token"] for part in update.parts for e in part.entries] == ["A-CARD"]
    assert LocalListVersion.objects.filter(network=network_b).count() == 0
    # The versions are the network's own: network B's first list is its version 1 too.
    assert local_list.local_list_version_current(network=network_b).version == 1
    assert [e["id_token"] for e in local_list.local_list_version_current(network=network_b).entries] == ["B-CARD"]


def test_entries_carry_group_expiry_and_expired_status(network_a):
    group = IdTokenGroup.objects.create(network=network_a, token="FLEET-7", token_type="Central")
    soon = timezone.now() + timedelta(days=3)
    IdToken.objects.create(network=network_a, token="A", group=group, expires_at=soon, token_type="ISO15693")
    IdToken.objects.create(network=network_a, token="B", expires_at=timezone.now() - timedelta(days=1))
    a, b = local_list.local_list_entries(network=network_a)
    assert a == {
        "id_token": "A", "type": "ISO15693", "status": "Accepted",
        "expires_at": soon.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "group": "FLEET-7", "group_type": "Central",
    }
    assert (b["status"], b["expires_at"]) == ("Expired", None)


def test_a_differential_is_built_from_the_version_the_station_holds(network_a, station_a):
    station_a.ocpp_version = "2.0.1"
    IdToken.objects.create(network=network_a, token="KEEP")
    gone = IdToken.objects.create(network=network_a, token="GONE")
    first = local_list_update(station=station_a, update_type="Full").parts[0]
    local_list.station_local_list_sent(station=station_a, version=first.version, result="Accepted")
    gone.delete()
    IdToken.objects.create(network=network_a, token="NEW")
    (part,) = local_list_update(station=station_a, update_type="Differential").parts
    assert (part.update_type, part.version) == ("Differential", first.version + 1)
    assert part.entries == [{"id_token": "GONE", "type": "ISO14443"}, entry("NEW")]


def test_a_differential_needs_a_version_the_platform_knows(network_a, station_a):
    IdToken.objects.create(network=network_a, token="A")
    with pytest.raises(LocalListRefused, match="Get local list version"):
        local_list_update(station=station_a, update_type="Differential")
    local_list.station_local_list_reported(station=station_a, version=7)
    with pytest.raises(LocalListRefused, match="version 7, which the platform did not send it in this network"):
        local_list_update(station=station_a, update_type="Differential")
    local_list.station_local_list_reported(station=station_a, version=0)
    assert local_list_update(station=station_a, update_type="Differential").parts[0].entries == [entry("A")]


def test_nothing_to_send_is_said_so(network_a, station_a):
    IdToken.objects.create(network=network_a, token="A")
    version = local_list_update(station=station_a, update_type="Full").parts[0].version
    local_list.station_local_list_sent(station=station_a, version=version, result="Accepted")
    with pytest.raises(LocalListRefused, match="already holds version 1"):
        local_list_update(station=station_a, update_type="Differential")


# --- Station limits -------------------------------------------------------------------------------


def test_a_list_longer_than_a_message_goes_in_parts_each_with_a_higher_version(network_a, station_a):
    station_a.ocpp_version = "1.6"
    ConfigurationKey.objects.create(station=station_a, key="SendLocalListMaxLength", value="2")
    for token in ["A", "B", "C", "D", "E"]:
        IdToken.objects.create(network=network_a, token=token)
    parts = local_list_update(station=station_a, update_type="Full").parts
    assert [(p.update_type, p.version, [e["id_token"] for e in p.entries]) for p in parts] == [
        ("Full", 2, ["A", "B"]),
        ("Differential", 3, ["C", "D"]),
        ("Differential", 4, ["E"]),
    ]
    # Each part's version is the list as the station holds it after that part: a later
    # Differential starts from any of them.
    assert [len(v.entries) for v in LocalListVersion.objects.filter(network=network_a).order_by("version")] == [5, 2, 4, 5]


def test_2_0_1_items_per_message_and_entries_limit_are_respected(network_a, station_a):
    station_a.ocpp_version = "2.0.1"
    DeviceModelVariable.objects.create(station=station_a, component="LocalAuthListCtrlr", variable="ItemsPerMessage", value="1")
    DeviceModelVariable.objects.create(station=station_a, component="LocalAuthListCtrlr", variable="Entries", value="0", max_limit=2)
    IdToken.objects.create(network=network_a, token="A")
    IdToken.objects.create(network=network_a, token="B")
    assert len(local_list_update(station=station_a, update_type="Full").parts) == 2
    IdToken.objects.create(network=network_a, token="C")
    with pytest.raises(LocalListRefused, match="3 entries; the station holds at most 2"):
        local_list_update(station=station_a, update_type="Full")


def test_a_station_without_local_list_support_is_refused_clearly(network_a, station_a):
    station_a.ocpp_version = "1.6"
    ConfigurationKey.objects.create(station=station_a, key="SupportedFeatureProfiles", value="Core,RemoteTrigger")
    with pytest.raises(LocalListRefused, match="does not support a local authorization list"):
        local_list_update(station=station_a, update_type="Full")


def test_1_6_refuses_tokens_longer_than_an_id_tag(network_a, station_a):
    station_a.ocpp_version = "1.6"
    IdToken.objects.create(network=network_a, token="X" * 21)
    with pytest.raises(LocalListRefused, match="at most 20 characters"):
        local_list_update(station=station_a, update_type="Full")


def test_the_form_reports_a_refusal_as_a_field_error(network_a, station_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        command_parameters_clean(station=station_a, action="send_local_list", data={"update_type": "Differential"})
    assert "Get local list version" in caught.value.message_dict["update_type"][0]


# --- Requests, validated against the OCA schemas ----------------------------------------------------


def test_the_requests_follow_the_schemas_of_both_versions(network_a, station_a):
    group = IdTokenGroup.objects.create(network=network_a, token="PARENT")
    IdToken.objects.create(network=network_a, token="CARD", group=group, expires_at=timezone.now() + timedelta(days=1))
    parameters = command_parameters_clean(station=station_a, action="send_local_list", data={"update_type": "Full"})
    v16 = build(station_a, "1.6", parameters)
    assert v16["listVersion"] == 1 and v16["updateType"] == "Full"
    (item,) = v16["localAuthorizationList"]
    assert item["idTag"] == "CARD" and item["idTagInfo"]["status"] == "Accepted"
    assert item["idTagInfo"]["parentIdTag"] == "PARENT" and item["idTagInfo"]["expiryDate"].endswith("Z")
    v201 = build(station_a, "2.0.1", parameters)
    (item,) = v201["localAuthorizationList"]
    assert item["idToken"] == {"idToken": "CARD", "type": "ISO14443"}
    assert item["idTokenInfo"]["groupIdToken"] == {"idToken": "PARENT", "type": "Central"}
    removal = build(station_a, "2.0.1", {"update_type": "Differential", "version": 2, "entries": [{"id_token": "CARD", "type": "ISO14443"}]})
    assert removal["localAuthorizationList"] == [{"idToken": {"idToken": "CARD", "type": "ISO14443"}}]
    empty = build(station_a, "2.0.1", {"update_type": "Full", "version": 3, "entries": []})
    assert empty == {"versionNumber": 3, "updateType": "Full"}


def test_an_accepted_part_sends_the_next_and_records_the_version(network_a, station_a):
    from commands.services import command_finish

    ConfigurationKey.objects.create(station=station_a, key="SendLocalListMaxLength", value="2")
    for token in ["A", "B", "C"]:
        IdToken.objects.create(network=network_a, token=token)
    parameters = command_parameters_clean(station=station_a, action="send_local_list", data={"update_type": "Full"})
    # Only the first part travels in the command; the next ones are named by their versions.
    assert parameters == {"update_type": "Full", "version": 2, "entries": [entry("A"), entry("B")], "next_versions": [3]}
    command = Command.objects.create(station=station_a, action="send_local_list", status="sent", parameters=parameters)
    command_finish(command=command, status="accepted", result="Accepted", answer={"status": "Accepted"})
    assert StationLocalList.objects.get(station=station_a).version == 2
    following = Command.objects.exclude(pk=command.pk).get(station=station_a)
    assert following.action == "send_local_list"
    assert following.parameters == {"update_type": "Differential", "version": 3, "entries": [entry("C")], "next_versions": []}


def test_a_get_local_list_version_answer_is_stored(station_a):
    from commands.services import command_answer_record

    for answer, stored, word in [
        ({"listVersion": 0}, (0, True), "Version 0"),
        ({"listVersion": -1}, (None, False), "NotSupported"),
        # Out of range (the gateway already refuses more than 19 digits): not stored, the earlier answer stands.
        ({"versionNumber": 2**63 - 1}, (None, False), "Version out of range"),
    ]:
        command = Command.objects.create(station=station_a, action="get_local_list_version", status="sent")
        command_answer_record(command=command, answer=answer)
        command.refresh_from_db()
        assert command.result == word
        assert command.status == ("accepted" if word.startswith("Version") else "rejected")
        held = StationLocalList.objects.get(station=station_a)
        assert (held.version, held.supported) == stored


def test_a_differential_answered_version_mismatch_is_followed_by_the_full_list(network_a, station_a):
    from commands.services import command_finish

    IdToken.objects.create(network=network_a, token="A")
    command = Command.objects.create(
        station=station_a, action="send_local_list", status="sent",
        parameters={"update_type": "Differential", "version": 2, "entries": [entry("A")], "next_versions": []},
    )
    command_finish(command=command, status="rejected", result="VersionMismatch", answer={"status": "VersionMismatch"})
    assert StationLocalList.objects.get(station=station_a).version is None
    full = Command.objects.exclude(pk=command.pk).get(station=station_a)
    assert (full.parameters["update_type"], full.parameters["entries"]) == ("Full", [entry("A")])
    # A Full answered Failed is not retried by the platform.
    command_finish(command=full.pk, status="rejected", result="Failed", from_statuses=("queued", "station_offline"))
    assert Command.objects.filter(station=station_a).count() == 2


def test_a_station_moved_to_another_network_gets_only_a_full_list(network_a, network_b, station_a):
    IdToken.objects.create(network=network_a, token="A-CARD")
    IdToken.objects.create(network=network_b, token="B-CARD")
    version = local_list_update(station=station_a, update_type="Full").parts[0].version
    local_list.station_local_list_sent(station=station_a, version=version, result="Accepted")
    # Network B has a version 1 too, holding other tokens: a Differential from it would keep A's card.
    assert local_list.local_list_version_current(network=network_b).version == version
    IdToken.objects.create(network=network_b, token="B-CARD-2")
    station_a.network = network_b
    station_a.save(update_fields=["network"])
    with pytest.raises(LocalListRefused, match="send a Full list"):
        local_list_update(station=station_a, update_type="Differential")
    (part,) = local_list_update(station=station_a, update_type="Full").parts
    assert [e["id_token"] for e in part.entries] == ["B-CARD", "B-CARD-2"]


def test_a_reported_version_stays_placed_only_when_it_is_the_one_sent(network_a, station_a):
    IdToken.objects.create(network=network_a, token="A")
    version = local_list_update(station=station_a, update_type="Full").parts[0].version
    local_list.station_local_list_sent(station=station_a, version=version, result="Accepted")
    local_list.station_local_list_reported(station=station_a, version=version)
    assert StationLocalList.objects.get(station=station_a).network == network_a
    local_list.station_local_list_reported(station=station_a, version=version + 5)
    assert StationLocalList.objects.get(station=station_a).network is None
