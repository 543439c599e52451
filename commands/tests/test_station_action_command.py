from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commands.models import Command


def test_it_needs_a_shared_channel_layer(station_a, settings):
    settings.REDIS_URL = None
    with pytest.raises(CommandError, match="needs REDIS_URL"):
        call_command("station_action", "CP-A-1", "reset")
    assert not Command.objects.exists()


def test_it_reports_an_offline_station_and_bad_parameters(station_a, settings, capsys):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # never reached: the station is offline
    with pytest.raises(CommandError, match="did not do it: Station offline"):
        call_command("station_action", "CP-A-1", "reset", "--param", "type=Hard")
    assert "Station offline: station offline" in capsys.readouterr().out
    assert Command.objects.get().parameters == {"type": "Hard", "when": "immediate"}
    with pytest.raises(CommandError, match="Invalid parameters: connector_id"):
        call_command("station_action", "CP-A-1", "unlock_connector", "-p", "connector_id=x")
    with pytest.raises(CommandError, match="No station"):
        call_command("station_action", "CP-NOPE", "reset")
    with pytest.raises(CommandError, match="key=value"):
        call_command("station_action", "CP-A-1", "reset", "-p", "Hard")


def test_with_a_user_it_acts_through_that_users_networks(station_a, operator_a, viewer_a, operator_b, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(CommandError, match="No station"):
        call_command("station_action", "CP-A-1", "clear_cache", "--user", operator_b.username)
    with pytest.raises(CommandError, match="does not allow remote actions"):
        call_command("station_action", "CP-A-1", "clear_cache", "--user", viewer_a.username)
    assert not Command.objects.exists()
    with pytest.raises(CommandError, match="Station offline"):
        call_command("station_action", "CP-A-1", "clear_cache", "--user", operator_a.username)
    assert Command.objects.get().requested_by == operator_a
