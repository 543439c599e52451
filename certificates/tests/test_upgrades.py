"""The upgrade state machine, driven the way the consumer drives it: command_start / command_answer_record
for each step's command, station_connection_secured for a reconnection."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from certificates import pki
from certificates.models import UpgradeRecord
from certificates.services import certificate_request_sign, station_connection_secured
from certificates.upgrades import UpgradeRefused, upgrade_expire, upgrade_start
from commands.models import Command
from commands.services import command_answer_record, command_start

pytestmark = pytest.mark.django_db

ANSWERS = {
    "security_get_priority": {
        "getVariableResult": [
            {"attributeStatus": "Accepted", "attributeValue": "0", "component": {"name": "OCPPCommCtrlr"},
             "variable": {"name": "NetworkConfigurationPriority"}}
        ]
    },
    "security_install_ca": {"status": "Accepted"},
    "security_network_profile": {"status": "Accepted"},
    "security_trigger_csr": {"status": "Accepted"},
    "change_configuration": {
        "setVariableResult": [
            {"attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}}
        ]
    },
}


@pytest.fixture
def online_201(settings, tmp_path, station_a):
    settings.PKI_DIR = tmp_path / "pki"
    settings.OCPP_TLS_PUBLIC_URL = "wss://csms.example.com/ocpp/"
    call_command("init_pki")
    station_a.ocpp_version = "2.0.1"
    station_a.channel_name = "specific.test!1"
    station_a.save()
    return station_a


def answer_until(station, last_action: str) -> Command:
    """Play the station: answer each step's command with Accepted until `last_action` is sent."""
    while True:
        command = Command.objects.filter(station=station, status="queued").order_by("id").first()
        assert command is not None, "the upgrade stopped before " + last_action
        command = command_start(command_id=command.pk, station_id=station.pk, ocpp_version="2.0.1")
        if command.action == last_action:
            return command
        command_answer_record(command=command, answer=ANSWERS[command.action])


def test_the_station_reconnecting_before_its_reset_answer_is_recorded_still_completes_the_upgrade(online_201):
    upgrade = upgrade_start(station=online_201, target_profile=2)
    reset = answer_until(online_201, "reset")
    station_connection_secured(station=online_201, profile=2)
    command_answer_record(command=reset, answer={"status": "Accepted"})  # late: changes nothing

    upgrade.refresh_from_db()
    online_201.refresh_from_db()
    assert upgrade.status == "succeeded"
    assert online_201.security_profile == 2
    assert [(s.key, s.status) for s in upgrade.steps.order_by("id")] == [
        ("priority", "done"), ("install_ca", "done"), ("network_profile", "done"), ("priority_set", "done"),
        ("reset", "done"), ("reconnect", "done"),
    ]
    assert upgrade.network_slot == 1
    assert Command.objects.get(action="change_configuration").parameters["value"] == "1,0"


def test_coming_back_on_the_old_profile_fails_the_upgrade_and_keeps_the_minimum(online_201):
    upgrade = upgrade_start(station=online_201, target_profile=2)
    reset = answer_until(online_201, "reset")
    command_answer_record(command=reset, answer={"status": "Accepted"})
    station_connection_secured(station=online_201, profile=1)

    upgrade.refresh_from_db()
    online_201.refresh_from_db()
    assert upgrade.status == "failed"
    assert "came back on profile 1" in upgrade.error and "stays on security profile 1" in upgrade.error
    assert online_201.security_profile == 1


def test_a_rejected_step_fails_the_upgrade_with_the_stations_word(online_201):
    upgrade = upgrade_start(station=online_201, target_profile=2)
    install = answer_until(online_201, "security_install_ca")
    command_answer_record(command=install, answer={"status": "Rejected"})
    upgrade.refresh_from_db()
    assert upgrade.status == "failed"
    assert "Install the platform CA" in upgrade.error and "Rejected" in upgrade.error
    assert not Command.objects.filter(status="queued").exists()


def test_a_refused_csr_fails_an_upgrade_to_profile_3(online_201):
    upgrade = upgrade_start(station=online_201, target_profile=3)
    trigger = answer_until(online_201, "security_trigger_csr")
    command_answer_record(command=trigger, answer={"status": "Accepted"})
    certificate_request_sign(
        station=online_201, ocpp_version="2.0.1", csr=pki.build_csr(key=pki.generate_key(), common_name="SOMEONE")
    )
    upgrade.refresh_from_db()
    assert upgrade.status == "failed"
    assert "is not the station identity" in upgrade.error


def test_one_upgrade_at_a_time_and_an_expired_one_says_where_it_stopped(online_201):
    upgrade = upgrade_start(station=online_201, target_profile=2)
    with pytest.raises(UpgradeRefused, match="already running"):
        upgrade_start(station=online_201, target_profile=3)
    upgrade_expire(upgrade_id=upgrade.pk)
    upgrade.refresh_from_db()
    assert upgrade.status == "failed"
    assert "Read OCPPCommCtrlr.NetworkConfigurationPriority" in upgrade.error
    assert UpgradeRecord.objects.count() == 1
