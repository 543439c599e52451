from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from sessions.models import IdToken
from sessions.services import id_token_authorize


def test_every_token_is_accepted_while_a_network_has_no_allow_list(station_a):
    assert id_token_authorize(station=station_a, id_token="ANYTHING") == "Accepted"


def test_with_an_allow_list_unknown_tokens_are_invalid_and_listed_ones_accepted_in_any_case(station_a, network_a):
    IdToken.objects.create(network=network_a, token="04A1B2C3")
    assert id_token_authorize(station=station_a, id_token="04a1b2c3") == "Accepted"
    assert id_token_authorize(station=station_a, id_token="DEADBEEF") == "Invalid"


def test_blocked_and_expired_tokens_are_refused(station_a, network_a):
    IdToken.objects.create(network=network_a, token="GOOD")
    IdToken.objects.create(network=network_a, token="STOLEN", status="Blocked")
    IdToken.objects.create(network=network_a, token="OLD", expires_at=timezone.now() - timedelta(days=1))
    assert id_token_authorize(station=station_a, id_token="STOLEN") == "Blocked"
    assert id_token_authorize(station=station_a, id_token="OLD") == "Expired"


def test_a_block_list_alone_keeps_accepting_other_tokens(station_a, network_a):
    IdToken.objects.create(network=network_a, token="STOLEN", status="Blocked")
    assert id_token_authorize(station=station_a, id_token="STOLEN") == "Blocked"
    assert id_token_authorize(station=station_a, id_token="SOMEONE") == "Accepted"


def test_another_networks_allow_list_does_not_apply(station_a, network_b):
    IdToken.objects.create(network=network_b, token="B-ONLY")
    assert id_token_authorize(station=station_a, id_token="A-CARD") == "Accepted"


def test_free_vend_tokens_are_accepted_with_an_allow_list(station_a, network_a):
    IdToken.objects.create(network=network_a, token="GOOD")
    assert id_token_authorize(station=station_a, id_token="", token_type="NoAuthorization") == "Accepted"


def test_central_tokens_follow_the_allow_list(station_a, network_a):
    # The type is the station's claim, not a credential (issue 12).
    IdToken.objects.create(network=network_a, token="GOOD")
    IdToken.objects.create(network=network_a, token="STOLEN", status="Blocked")
    IdToken.objects.create(network=network_a, token="OLD", expires_at=timezone.now() - timedelta(days=1))
    assert id_token_authorize(station=station_a, id_token="GOOD", token_type="Central") == "Accepted"
    assert id_token_authorize(station=station_a, id_token="STOLEN", token_type="Central") == "Blocked"
    assert id_token_authorize(station=station_a, id_token="OLD", token_type="Central") == "Expired"
    assert id_token_authorize(station=station_a, id_token="REMOTE-1", token_type="Central") == "Invalid"


def test_the_allow_list_api_is_scoped_and_needs_a_write_role(client, operator_a, viewer_a, operator_b, network_a):
    client.force_login(operator_a)
    response = client.post(
        "/api/id_tokens/", {"network": "Network A", "token": "CARD-1", "label": "Fleet"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    token_id = response.json()["id"]
    duplicate = client.post("/api/id_tokens/", {"network": "Network A", "token": "card-1"}, content_type="application/json")
    assert duplicate.status_code == 400

    client.force_login(viewer_a)
    assert client.get("/api/id_tokens/").json()["count"] == 1
    denied = client.post("/api/id_tokens/", {"network": "Network A", "token": "X"}, content_type="application/json")
    assert denied.status_code in (400, 403)

    client.force_login(operator_b)
    assert client.get("/api/id_tokens/").json()["count"] == 0
    assert client.get(f"/api/id_tokens/{token_id}/").status_code == 404
    assert client.delete(f"/api/id_tokens/{token_id}/").status_code == 404
    assert IdToken.objects.filter(network=network_a).count() == 1


def test_the_allow_list_admin_is_scoped(client, operator_a, operator_b, network_a):
    token = IdToken.objects.create(network=network_a, token="CARD-1")
    client.force_login(operator_a)
    page = client.get("/admin/charging_sessions/idtoken/")
    assert page.status_code == 200 and "CARD-1" in page.content.decode()
    client.force_login(operator_b)
    assert "CARD-1" not in client.get("/admin/charging_sessions/idtoken/").content.decode()
    assert client.get(f"/admin/charging_sessions/idtoken/{token.pk}/change/").status_code == 404
