"""The console's pages through Django's test client: what each persona sees, and scoping (404 across networks)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from commands.models import Command, CommandStatus
from conftest import STATION_PASSWORD
from locations.models import Location
from networks.middleware import SESSION_KEY
from networks.models import Membership, Network
from ocpp_gateway.models import Message
from sessions.models import MeterSample, Session
from stations.models import EVSE, ConfigurationKey, Connector, DeviceModelVariable, Station, StationState


def login(client, user):
    client.force_login(user)
    return client


def station_urls(identity: str) -> list[str]:
    return [
        reverse("console:station-detail", args=[identity]),
        reverse("console:station-status", args=[identity]),
        reverse("console:station-maintenance", args=[identity]),
        reverse("console:station-messages", args=[identity]),
        reverse("console:station-sessions", args=[identity]),
        reverse("console:station-firmware", args=[identity]),
        reverse("console:station-commands", args=[identity]),
    ]


def onboard(station: Station, *, connected: bool = True, statuses=(("Available", "NoError"),)) -> Station:
    station.state = StationState.ONBOARDED
    station.connected = connected
    station.vendor, station.model, station.ocpp_version = "Zaptec", "Go", "1.6"
    station.save()
    now = timezone.now()
    EVSE.objects.create(station=station, evse_id=0, status="Available", status_at=now)
    for number, (status, error) in enumerate(statuses, start=1):
        evse = EVSE.objects.create(station=station, evse_id=number, status=status, error_code=error, status_at=now)
        Connector.objects.create(evse=evse, connector_id=number, status=status, error_code=error, status_at=now)
    return station


def make_session(station: Station, **fields) -> Session:
    now = timezone.now()
    return Session.objects.create(
        network=station.network,
        location=station.location,
        station=station,
        ocpp_version="1.6",
        transaction_id=fields.pop("transaction_id", "1"),
        evse_id=1,
        connector_id=1,
        id_token="TAG-1",
        # Today in the platform's time zone even just after midnight (the dashboard counts today's).
        started_at=fields.pop(
            "started_at", max(now - timedelta(minutes=30), timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0))
        ),
        energy_wh=fields.pop("energy_wh", 7500),
        **fields,
    )


# --- login and the admin's look ---


def test_it_sends_anonymous_visitors_to_the_admin_login(client, db):
    response = client.get(reverse("console:station-list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/console/stations/")


def test_the_site_root_opens_the_dashboard(client, operator_a):
    response = login(client, operator_a).get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:dashboard")
    assert b"Charging status" in response.content


def test_pages_wear_the_admin_header_with_the_network_selector(client, operator_a, operator_b):
    html = login(client, operator_a).get(reverse("console:dashboard")).content.decode()
    assert 'id="network-selector"' in html and "admin/css/base.css" in html
    assert "Network A" in html and "Network B" not in html


def test_a_user_without_networks_is_refused(client, db):
    from networks.models import User

    loner = User.objects.create_user(username="loner", password="pw")
    assert login(client, loner).get(reverse("console:dashboard")).status_code == 403


# --- dashboard ---


def test_an_empty_network_gets_the_welcome_state(client, operator_b):
    html = login(client, operator_b).get(reverse("console:dashboard")).content.decode()
    assert 'id="welcome"' in html
    assert "Create a location" in html and "Add charger" in html


def test_the_dashboard_counts_stations_and_connectors_of_the_current_network_only(client, operator_a, station_a, station_b):
    onboard(station_a, statuses=[("Charging", "NoError"), ("Faulted", "GroundFailure")])
    onboard(station_b, statuses=[("Faulted", "HighTemperature")])
    make_session(station_a, energy_wh=12_500)
    make_session(station_b, energy_wh=99_000)
    response = login(client, operator_a).get(reverse("console:dashboard"))
    status = response.context["status"]
    assert status.stations["faulted"] == 1 and sum(status.stations.values()) == 1
    assert status.connectors["charging"] == 1 and status.connectors["faulted"] == 1
    html = response.content.decode()
    assert "GroundFailure" in html and "HighTemperature" not in html
    assert reverse("console:station-detail", args=["CP-A-1"]) in html
    assert response.context["today"].count == 1 and response.context["today"].energy_kwh == 12.5


def test_the_network_selector_narrows_the_account_admins_dashboard(client, account_admin, station_a, station_b):
    login(client, account_admin)
    assert client.get(reverse("console:dashboard")).context["status"].station_total == 2
    session = client.session
    session[SESSION_KEY] = station_b.network_id
    session.save()
    assert client.get(reverse("console:dashboard")).context["status"].station_total == 1


# --- stations ---


def test_an_operator_lists_only_their_networks_stations(client, operator_a, station_a, station_b):
    onboard(station_a)
    onboard(station_b)
    html = login(client, operator_a).get(reverse("console:station-list")).content.decode()
    assert "CP-A-1" in html and "CP-B-1" not in html


def test_the_account_admin_lists_every_network(client, account_admin, station_a, station_b):
    onboard(station_a)
    onboard(station_b)
    html = login(client, account_admin).get(reverse("console:station-list")).content.decode()
    assert "CP-A-1" in html and "CP-B-1" in html


def test_pending_and_onboarded_tabs(client, operator_a, station_a, network_a, location_a):
    from stations.services import station_create

    onboard(station_a)
    station_create(network=network_a, location=location_a, identity="CP-A-NEW", password=STATION_PASSWORD)
    login(client, operator_a)
    onboarded = client.get(reverse("console:station-list")).content.decode()
    pending = client.get(reverse("console:station-list") + "?tab=pending").content.decode()
    assert "CP-A-1" in onboarded and "CP-A-NEW" not in onboarded
    assert "CP-A-NEW" in pending and "CP-A-1" not in pending


def test_stations_filter_by_search_status_vendor_and_location(client, operator_a, station_a, network_a, location_a):
    from stations.services import station_create

    onboard(station_a, statuses=[("Faulted", "GroundFailure")])
    other_location = Location.objects.create(network=network_a, name="Harbour", country="NL")
    second = station_create(
        network=network_a, location=other_location, identity="CP-A-2", name="Quay", password=STATION_PASSWORD
    )
    onboard(second)
    Station.objects.filter(pk=second.pk).update(vendor="Alfen")
    login(client, operator_a)

    def identities(query: str) -> set[str]:
        rows = client.get(reverse("console:station-list") + query).context["rows"]
        return {row["station"].identity for row in rows}

    assert identities("") == {"CP-A-1", "CP-A-2"}
    assert identities("?q=quay") == {"CP-A-2"}
    assert identities("?q=Depot") == {"CP-A-1"}
    assert identities("?status=faulted") == {"CP-A-1"}
    assert identities("?status=available") == {"CP-A-2"}
    assert identities("?vendor=Alfen") == {"CP-A-2"}
    assert identities(f"?location={other_location.pk}") == {"CP-A-2"}


def test_faulted_equipment_is_red_with_its_error_on_hover(client, operator_a, station_a):
    onboard(station_a, statuses=[("Faulted", "GroundFailure")])
    html = login(client, operator_a).get(reverse("console:station-list")).content.decode()
    assert 'class="equipment cat-faulted" title="GroundFailure"' in html


@pytest.mark.parametrize("persona", ["operator_a", "viewer_a"])
def test_members_of_network_a_open_every_tab_of_their_station(client, request, persona, station_a):
    onboard(station_a)
    login(client, request.getfixturevalue(persona))
    for url in station_urls("CP-A-1"):
        assert client.get(url).status_code == 200, url


def test_another_networks_station_is_404_on_every_tab(client, operator_a, station_b):
    onboard(station_b)
    login(client, operator_a)
    for url in station_urls("CP-B-1"):
        assert client.get(url).status_code == 404, url
    action = reverse("console:station-action", args=["CP-B-1", "reset"])
    assert client.post(action, {"when": "immediate"}).status_code == 404
    assert not Command.objects.exists()


def test_the_station_page_shows_its_overview(client, operator_a, station_a):
    onboard(station_a, statuses=[("Faulted", "GroundFailure")])
    html = login(client, operator_a).get(reverse("console:station-detail", args=["CP-A-1"])).content.decode()
    for text in ("Zaptec", "Go", "OCPP 1.6", "Depot A", "Connector 1<", "connected", 'id="actions-menu"'):
        assert text in html, text
    assert 'title="GroundFailure"' in html


def test_a_viewer_gets_no_actions_and_cannot_post_them(client, viewer_a, station_a):
    onboard(station_a)
    login(client, viewer_a)
    html = client.get(reverse("console:station-detail", args=["CP-A-1"])).content.decode()
    assert 'id="actions-menu"' not in html
    response = client.post(reverse("console:station-action", args=["CP-A-1", "reset"]), {"when": "immediate"})
    assert response.status_code == 403
    assert not Command.objects.exists()


def test_an_action_on_an_offline_station_records_the_command_and_says_so(client, operator_a, station_a):
    onboard(station_a, connected=False)
    login(client, operator_a)
    response = client.post(
        reverse("console:station-action", args=["CP-A-1", "reset"]),
        {"when": "idle", "evse": ""},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["done"] and body["status"] == CommandStatus.STATION_OFFLINE
    command = Command.objects.get()
    assert command.action == "reset" and command.parameters["when"] == "on_idle"
    assert command.requested_by == operator_a
    assert client.get(body["status_url"]).json()["status"] == CommandStatus.STATION_OFFLINE


def test_an_action_with_bad_parameters_shows_the_field_errors(client, operator_a, station_a):
    onboard(station_a)
    response = login(client, operator_a).post(
        reverse("console:station-action", args=["CP-A-1", "trigger"]), {"message": "Nonsense"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert "requested_message" in response.json()["error"]


def test_another_networks_command_is_404(client, operator_a, station_b):
    command = Command.objects.create(station=station_b, action="reset", parameters={})
    assert login(client, operator_a).get(reverse("console:command-status", args=[command.pk])).status_code == 404


def test_the_commands_tab_lists_the_stations_commands(client, operator_a, station_a):
    onboard(station_a)
    Command.objects.create(
        station=station_a, action="unlock_connector", parameters={"connector_id": 1},
        status=CommandStatus.ACCEPTED, result="Unlocked",
    )
    html = login(client, operator_a).get(reverse("console:station-commands", args=["CP-A-1"])).content.decode()
    assert "Unlock connector" in html and "Unlocked" in html


# --- maintenance and message log ---


def test_configuration_keys_come_with_explanations_and_writable_ones_are_editable(client, operator_a, station_a):
    onboard(station_a)
    ConfigurationKey.objects.create(station=station_a, key="HeartbeatInterval", value="300")
    ConfigurationKey.objects.create(station=station_a, key="NumberOfConnectors", value="1", readonly=True)
    html = login(client, operator_a).get(reverse("console:station-maintenance", args=["CP-A-1"])).content.decode()
    assert "Configuration keys" in html
    assert "Seconds between heartbeats" in html
    assert 'aria-label="HeartbeatInterval"' in html
    assert 'aria-label="NumberOfConnectors"' not in html  # read-only: shown, not editable


def test_a_viewer_sees_configuration_without_edit_fields(client, viewer_a, station_a):
    onboard(station_a)
    ConfigurationKey.objects.create(station=station_a, key="HeartbeatInterval", value="300")
    html = login(client, viewer_a).get(reverse("console:station-maintenance", args=["CP-A-1"])).content.decode()
    assert "HeartbeatInterval" in html and 'aria-label="HeartbeatInterval"' not in html


def test_a_201_station_shows_its_device_model(client, operator_a, station_a):
    onboard(station_a)
    Station.objects.filter(pk=station_a.pk).update(ocpp_version="2.0.1")
    DeviceModelVariable.objects.create(
        station=station_a, component="OCPPCommCtrlr", variable="HeartbeatInterval", value="300", mutability="ReadWrite"
    )
    html = login(client, operator_a).get(reverse("console:station-maintenance", args=["CP-A-1"])).content.decode()
    assert "Device model" in html and "Configuration keys" not in html
    assert 'aria-label="OCPPCommCtrlr.HeartbeatInterval"' in html


def test_the_message_log_is_newest_first_filtered_and_paged(client, operator_a, station_a, station_b):
    onboard(station_a)
    start = timezone.now() - timedelta(hours=2)
    for i in range(60):
        Message.objects.create(
            station=station_a, direction="in", message_type=2, action="Heartbeat" if i % 2 else "StatusNotification",
            unique_id=f"m{i}", payload={}, time=start + timedelta(minutes=i),
        )
    Message.objects.create(station=station_b, direction="in", message_type=2, action="Heartbeat", unique_id="b", payload={}, time=start)
    login(client, operator_a)
    url = reverse("console:station-messages", args=["CP-A-1"])
    page = client.get(url).context["page"]
    assert page.paginator.count == 60 and len(page.object_list) == 50
    assert page.object_list[0].unique_id == "m59"
    heartbeats = client.get(url + "?action=Heartbeat").context["page"]
    assert heartbeats.paginator.count == 30
    since = (start + timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M")
    assert client.get(url + f"?since={since}").context["page"].paginator.count == 10


# --- add charger ---


def test_adding_a_charger_with_a_new_location_shows_the_connection_details(client, operator_a, network_a):
    response = login(client, operator_a).post(
        reverse("console:station-add"),
        {
            "network": network_a.pk,
            "location": "",
            "new_location_name": "Garage",
            "new_location_country": "NL",
            "name": "Garage 1",
            "identity": "CP-GARAGE-1",
            "password": "AAAAAAAAAAAAAAAAAAAA",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "ws://127.0.0.1:8000/ocpp/CP-GARAGE-1" in html
    assert "4141414141414141414141414141414141414141" in html
    assert 'id="ws-note"' in html
    station = Station.objects.get(identity="CP-GARAGE-1")
    assert station.state == StationState.PENDING and station.location.name == "Garage" and station.location.country == "NL"
    assert station.check_password("AAAAAAAAAAAAAAAAAAAA")


def test_adding_a_charger_refuses_another_networks_location(client, operator_a, network_a, location_b):
    response = login(client, operator_a).post(
        reverse("console:station-add"),
        {"network": network_a.pk, "location": location_b.pk, "identity": "CP-X", "password": STATION_PASSWORD},
    )
    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    assert not Station.objects.filter(identity="CP-X").exists()


def test_a_viewer_cannot_add_a_charger(client, viewer_a):
    assert login(client, viewer_a).get(reverse("console:station-add")).status_code == 403


def test_the_status_endpoint_reports_the_last_connection_error(client, operator_a, station_a):
    Station.objects.filter(pk=station_a.pk).update(last_connection_error="Wrong password", last_connection_error_at=timezone.now())
    body = login(client, operator_a).get(reverse("console:station-status", args=["CP-A-1"])).json()
    assert body["state"] == "pending" and body["connected"] is False
    assert body["last_connection_error"] == "Wrong password"


# --- locations ---


def test_locations_list_is_scoped_and_pins_only_located_ones(client, operator_a, location_a, location_b):
    Location.objects.filter(pk=location_a.pk).update(latitude=52.09, longitude=5.12)
    response = login(client, operator_a).get(reverse("console:location-list"))
    html = response.content.decode()
    assert "Depot A" in html and "Depot B" not in html
    assert [p["name"] for p in response.context["pins"]] == ["Depot A"]
    assert "vendor/leaflet/leaflet.js" in html and "tile.openstreetmap.org" in html


def test_the_tile_url_is_a_setting(client, operator_a, settings):
    settings.MAP_TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    html = login(client, operator_a).get(reverse("console:location-list")).content.decode()
    assert "tiles.example.test" in html


def test_another_networks_location_is_404(client, operator_a, location_b):
    login(client, operator_a)
    for name in ("console:location-detail", "console:location-edit"):
        assert client.get(reverse(name, args=[location_b.pk])).status_code == 404
    assert client.post(reverse("console:location-delete", args=[location_b.pk])).status_code == 404
    assert Location.objects.filter(pk=location_b.pk).exists()


def test_a_location_page_lists_its_stations(client, operator_a, station_a, location_a):
    html = login(client, operator_a).get(reverse("console:location-detail", args=[location_a.pk])).content.decode()
    assert reverse("console:station-detail", args=["CP-A-1"]) in html


def test_creating_and_editing_a_location(client, operator_a, network_a):
    login(client, operator_a)
    response = client.post(
        reverse("console:location-add"),
        {"network": network_a.pk, "name": "Harbour", "country": "NL", "address": "Pier 3", "latitude": "51.9", "longitude": "4.4"},
    )
    location = Location.objects.get(name="Harbour")
    assert response["Location"] == reverse("console:location-detail", args=[location.pk])
    assert location.country == "NL" and float(location.latitude) == 51.9
    client.post(
        reverse("console:location-edit", args=[location.pk]),
        {"name": "Harbour North", "country": "NL", "address": "Pier 4", "latitude": "51.95", "longitude": "4.45"},
    )
    location.refresh_from_db()
    assert location.name == "Harbour North" and location.network == network_a


def test_deleting_a_location_with_stations_is_refused_with_the_services_message(client, operator_a, station_a, location_a):
    response = login(client, operator_a).post(reverse("console:location-delete", args=[location_a.pk]), follow=True)
    assert Location.objects.filter(pk=location_a.pk).exists()
    assert "still has stations attached" in response.content.decode()


def test_deleting_an_empty_location(client, operator_a, location_a):
    login(client, operator_a).post(reverse("console:location-delete", args=[location_a.pk]))
    assert not Location.objects.filter(pk=location_a.pk).exists()


def test_a_viewer_cannot_delete_or_edit_a_location(client, viewer_a, location_a):
    login(client, viewer_a)
    assert client.post(reverse("console:location-delete", args=[location_a.pk])).status_code == 403
    assert client.get(reverse("console:location-edit", args=[location_a.pk])).status_code == 403
    assert Location.objects.filter(pk=location_a.pk).exists()


# --- sessions ---


def test_sessions_are_scoped_and_offer_the_csv_download(client, operator_a, station_a, station_b):
    make_session(station_a, transaction_id="111")
    make_session(station_b, transaction_id="222")
    response = login(client, operator_a).get(reverse("console:session-list"))
    sessions = list(response.context["page"])
    assert [s.station.identity for s in sessions] == ["CP-A-1"]
    assert response.context["csv_url"].startswith("/api/sessions/?")
    csv = client.get(response.context["csv_url"])
    assert csv.status_code == 200
    body = b"".join(csv.streaming_content).decode()
    assert "111" in body and "222" not in body


def test_a_session_page_charts_its_meter_samples(client, operator_a, station_a):
    session = make_session(station_a, meter_start_wh=1000)
    start = session.started_at
    for i, (energy, power) in enumerate([(1000, 7000), (1500, 7200), (2100, 7100)]):
        MeterSample.objects.create(
            session=session, station=station_a, evse_id=1, timestamp=start + timedelta(minutes=5 * i),
            energy_wh=energy, power_w=power,
        )
    response = login(client, operator_a).get(reverse("console:session-detail", args=[session.pk]))
    chart = response.context["chart"]
    assert [p["energy_kwh"] for p in chart] == [0.0, 0.5, 1.1]
    assert [p["power_kw"] for p in chart] == [7.0, 7.2, 7.1]
    assert "vendor/chartjs/chart.umd.min.js" in response.content.decode()


def test_another_networks_session_is_404(client, operator_a, station_b):
    session = make_session(station_b)
    assert login(client, operator_a).get(reverse("console:session-detail", args=[session.pk])).status_code == 404


# --- networks ---


def test_only_account_admins_manage_networks(client, operator_a, account_admin, network_a):
    assert login(client, operator_a).get(reverse("console:network-list")).status_code == 403
    assert client.get(reverse("console:network-detail", args=[network_a.pk])).status_code == 403
    client.force_login(account_admin)
    assert client.get(reverse("console:network-list")).status_code == 200


def test_an_account_admin_creates_a_network_and_adds_a_member(client, account_admin, operator_b):
    login(client, account_admin)
    response = client.post(reverse("console:network-list"), {"name": "Network C", "description": ""})
    network = Network.objects.get(name="Network C")
    assert response["Location"] == reverse("console:network-detail", args=[network.pk])
    client.post(
        reverse("console:network-detail", args=[network.pk]),
        {"intent": "add-member", "member-username": "charlie", "member-role": "viewer"},
    )
    assert Membership.objects.get(network=network, user=operator_b).role == "viewer"
    membership = Membership.objects.get(network=network, user=operator_b)
    client.post(reverse("console:network-detail", args=[network.pk]), {"intent": "role", "membership": membership.pk, "role": "operator"})
    membership.refresh_from_db()
    assert membership.role == "operator"
    client.post(reverse("console:network-detail", args=[network.pk]), {"intent": "remove", "membership": membership.pk})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_every_station_tab_refreshes_its_status_badge_as_a_fragment(client, operator_a, station_a):
    onboard(station_a, statuses=[("Faulted", "GroundFailure")])
    login(client, operator_a)
    for url in station_urls("CP-A-1"):
        if url.endswith(".json"):
            continue
        response = client.get(url + "?fragment=station_badge")
        assert response.content.decode().strip().startswith('<span class="badge cat-faulted"'), url


def test_an_unknown_fragment_renders_the_whole_page(client, operator_a, station_a):
    html = login(client, operator_a).get(reverse("console:station-detail", args=["CP-A-1"]) + "?fragment=../base").content.decode()
    assert "<html" in html


def test_passwords_and_the_security_profile_are_not_edited_in_place(client, operator_a, station_a):
    onboard(station_a)
    ConfigurationKey.objects.create(station=station_a, key="AuthorizationKey", value="")
    ConfigurationKey.objects.create(station=station_a, key="SecurityProfile", value="1")
    html = login(client, operator_a).get(reverse("console:station-maintenance", args=["CP-A-1"])).content.decode()
    assert 'data-key="AuthorizationKey"' in html and 'aria-label="AuthorizationKey"' not in html
    assert 'aria-label="SecurityProfile"' not in html


def test_a_security_upgrade_the_platform_refuses_shows_why(client, operator_a, station_a):
    onboard(station_a)
    response = login(client, operator_a).post(
        reverse("console:station-action", args=["CP-A-1", "security-profile"]), {"profile": "2"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]  # e.g. no wss:// URL configured, or the station is offline


def test_another_networks_security_upgrade_is_404(client, operator_a, station_b):
    from certificates.models import UpgradeRecord

    upgrade = UpgradeRecord.objects.create(station=station_b, from_profile=1, target_profile=2, target_url="wss://x/")
    assert login(client, operator_a).get(reverse("console:upgrade-status", args=[upgrade.pk])).status_code == 404


def test_the_overview_shows_a_running_security_upgrade_with_its_steps(client, operator_a, station_a):
    from certificates.models import UpgradeRecord, UpgradeStep

    onboard(station_a)
    upgrade = UpgradeRecord.objects.create(
        station=station_a, from_profile=1, target_profile=2, target_url="wss://x/", plan=["install_ca", "security_profile", "reconnect"]
    )
    UpgradeStep.objects.create(upgrade=upgrade, key="install_ca", name="Install the platform CA", status="done")
    UpgradeStep.objects.create(upgrade=upgrade, key="security_profile", name="Switch to profile 2")
    login(client, operator_a)
    html = client.get(reverse("console:station-detail", args=["CP-A-1"])).content.decode()
    assert "Install the platform CA" in html and "Switch to profile 2" in html
    body = client.get(reverse("console:upgrade-status", args=[upgrade.pk])).json()
    assert body["progress"] == 33 and body["detail"] == "Switch to profile 2" and not body["done"]


def test_the_databases_status_buckets_agree_with_the_station_pages(client, operator_a, network_a, location_a):
    from console import selectors
    from stations.selectors import station_category
    from stations.services import station_create

    cases = {
        "pending": dict(onboarded=False),
        "offline": dict(connected=False),
        "faulted": dict(statuses=[("Available", "NoError"), ("Available", "OverCurrentFailure")]),
        "charging": dict(statuses=[("SuspendedEV", "NoError")]),
        "available": dict(statuses=[("Available", "NoError")]),
    }
    for category, case in cases.items():
        station = station_create(network=network_a, location=location_a, identity=f"CP-{category}", password=STATION_PASSWORD)
        if case.pop("onboarded", True):
            onboard(station, **case)
    status = selectors.charging_status(user=operator_a, network=None)
    assert status.stations == dict.fromkeys(cases, 1)
    for station in Station.objects.prefetch_related("evses__connectors"):
        assert station_category(station) == station.identity.removeprefix("CP-")
    login(client, operator_a)
    for category in cases:
        rows = client.get(reverse("console:station-list") + f"?status={category}&tab=" + ("pending" if category == "pending" else "")).context["rows"]
        assert [r["station"].identity for r in rows] == [f"CP-{category}"]


@pytest.mark.parametrize(
    "version, action, form, parameters",
    [
        ("2.0.1", "reset", {"when": "idle", "evse": "2"}, {"when": "on_idle", "evse_id": 2}),
        ("1.6", "reset", {"when": "immediate", "evse": ""}, {"when": "immediate"}),
        ("2.0.1", "unlock", {"connector": "2/1"}, {"evse_id": 2, "connector_id": 1}),
        ("1.6", "unlock", {"connector": "2/2"}, {"connector_id": 2}),
        ("1.6", "trigger", {"message": "StatusNotification", "evse": "2"}, {"requested_message": "StatusNotification", "connector_id": 2}),
        ("2.0.1", "trigger", {"message": "StatusNotification", "evse": "2"}, {"requested_message": "StatusNotification", "evse_id": 2}),
        ("1.6", "change-configuration", {"key": "HeartbeatInterval", "value": "60"}, {"key": "HeartbeatInterval", "value": "60"}),
    ],
)
def test_the_menus_dialogs_become_the_commands_parameters(client, operator_a, station_a, version, action, form, parameters):
    onboard(station_a, connected=False, statuses=[("Available", "NoError"), ("Available", "NoError")])
    Station.objects.filter(pk=station_a.pk).update(ocpp_version=version)
    response = login(client, operator_a).post(
        reverse("console:station-action", args=["CP-A-1", action]), form, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201, response.content
    assert Command.objects.get().parameters == parameters


def test_the_message_log_shows_payloads_as_json(client, operator_a, station_a):
    Message.objects.create(
        station=station_a, direction="out", message_type=3, action="BootNotification", unique_id="u1",
        payload={"status": "Accepted", "interval": 300, "currentTime": None}, time=timezone.now(),
    )
    html = login(client, operator_a).get(reverse("console:station-messages", args=["CP-A-1"])).content.decode()
    assert "{&quot;status&quot;: &quot;Accepted&quot;, &quot;interval&quot;: 300, &quot;currentTime&quot;: null}" in html
