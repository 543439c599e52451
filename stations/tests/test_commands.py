"""add_station and list_stations, as an operator types them in a shell."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from stations.models import Station, StationState
from stations.services import station_create


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_add_station_prints_the_url_and_hex_password(network_a, location_a):
    out = run("add_station", "--network", "Network A", "--identity", "CP-0001", "--password", "AAAAAAAAAAAAAAAAAAAA",
              "--name", "Carport", "--location", "Depot A")
    assert "Connection URL: ws://127.0.0.1:8000/ocpp/CP-0001" in out
    assert "4141414141414141414141414141414141414141" in out
    assert "Zaptec stations need" not in out
    assert "AAAAAAAAAAAAAAAAAAAA" not in out
    station = Station.objects.get(identity="CP-0001")
    assert (station.name, station.location, station.state) == ("Carport", location_a, StationState.PENDING)
    assert station.check_password("AAAAAAAAAAAAAAAAAAAA")


def test_add_station_warns_about_a_zaptec_password_that_is_not_20_bytes(network_a):
    out = run("add_station", "--network", "Network A", "--identity", "CP-0001", "--password", "0123456789abcdef")
    assert "This password is 16 bytes. Zaptec stations need exactly 20 bytes" in out
    assert Station.objects.get(identity="CP-0001").name == "CP-0001"


@pytest.mark.parametrize("args, message", [
    (["--network", "Nowhere"], "No network named 'Nowhere'"),
    (["--network", "Network A", "--location", "Depot B"], "No location named 'Depot B' in network 'Network A'"),
    (["--network", "Network A", "--identity", "CP-B-1"], "identity: Station with this Identity already exists."),
    (["--network", "Network A", "--identity", "CP:1"], "identity: Use 1 to 48 letters"),
])
def test_add_station_explains_what_is_wrong(station_b, network_a, args, message):
    base = {"--identity": "CP-0001", "--password": "0123456789abcdef"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run("add_station", *[item for pair in base.items() for item in pair])
    assert Station.objects.count() == 1


def test_add_station_as_a_member_stays_in_their_networks(operator_a, viewer_a, network_b):
    with pytest.raises(CommandError, match="No network named 'Network B' that you may change"):
        run("add_station", "--network", "Network B", "--identity", "CP-X", "--password", "0123456789abcdef",
            "--user", "bob")
    with pytest.raises(CommandError, match="No network named 'Network A' that you may change"):
        run("add_station", "--network", "Network A", "--identity", "CP-X", "--password", "0123456789abcdef",
            "--user", "victor")
    run("add_station", "--network", "Network A", "--identity", "CP-X", "--password", "0123456789abcdef",
        "--user", "bob")
    assert Station.objects.get(identity="CP-X").network.name == "Network A"


@pytest.fixture
def fleet(station_a, station_b, network_a):
    station_create(network=network_a, identity="CP-A-2", name="Onboarded", password="0123456789abcdef",
                   state=StationState.ONBOARDED)


def listed(out: str) -> list[str]:
    lines = out.strip().splitlines()
    assert lines[0].split() == ["IDENTITY", "NAME", "NETWORK", "LOCATION", "STATE", "OCPP", "CONNECTED", "LAST", "SEEN"]
    return [line.split()[0] for line in lines[1:]]


def test_list_stations_lists_all_or_one_network_or_the_pending_ones(fleet):
    assert listed(run("list_stations")) == ["CP-A-1", "CP-A-2", "CP-B-1"]
    assert listed(run("list_stations", "--network", "Network A")) == ["CP-A-1", "CP-A-2"]
    assert listed(run("list_stations", "--pending")) == ["CP-A-1", "CP-B-1"]
    assert listed(run("list_stations", "--network", "Network A", "--pending")) == ["CP-A-1"]
    row = run("list_stations", "--network", "Network B").strip().splitlines()[1]
    assert row.split() == ["CP-B-1", "Station", "B1", "Network", "B", "Depot", "B", "pending", "-", "no", "-"]


def test_list_stations_as_a_member_shows_their_networks_only(fleet, operator_a):
    assert listed(run("list_stations", "--user", "bob")) == ["CP-A-1", "CP-A-2"]
    with pytest.raises(CommandError, match="No network named 'Network B'"):
        run("list_stations", "--network", "Network B", "--user", "bob")
    with pytest.raises(CommandError, match="No active user named 'mallory'"):
        run("list_stations", "--user", "mallory")


def test_list_stations_refuses_an_unknown_network(fleet):
    with pytest.raises(CommandError, match="No network named 'Nowhere'"):
        run("list_stations", "--network", "Nowhere")
