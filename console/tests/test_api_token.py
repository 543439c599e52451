"""The personal API token page: create (shown once), use it against the API, rotate, revoke."""
from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

URL = reverse("console:api-token")


@pytest.mark.parametrize("persona", ["operator_a", "viewer_a", "account_admin"])
def test_create_shows_the_key_once_and_the_api_accepts_it(client, request, persona, station_a):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert "You have no API token." in client.get(URL).content.decode()
    response = client.post(URL, {"intent": "create"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]  # a reload of the page does not make another token
    assert response["Cache-Control"] == "no-store"
    key = Token.objects.get(user=user).key
    assert f'<code id="api-token-key">{key}</code>' in response.content.decode()
    # Shown once: the next visit says there is one, not what it is.
    later = client.get(URL).content.decode()
    assert key not in later and "You have an API token, created" in later

    client.logout()
    api = client.get("/api/charging_stations/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 200
    assert [s["identity"] for s in api.json()["results"]] == ["CP-A-1"]


def test_rotate_replaces_the_key_and_revoke_removes_it(client, operator_a):
    client.force_login(operator_a)
    client.post(URL, {"intent": "create"})
    old = Token.objects.get(user=operator_a).key
    client.post(URL, {"intent": "create"})
    new = Token.objects.get(user=operator_a).key
    assert new != old
    assert client.get("/api/charging_stations/", HTTP_AUTHORIZATION=f"Token {old}").status_code == 401
    response = client.post(URL, {"intent": "revoke"}, follow=True)
    assert "API token revoked" in response.content.decode()
    assert not Token.objects.filter(user=operator_a).exists()
    assert client.get("/api/charging_stations/", HTTP_AUTHORIZATION=f"Token {new}").status_code == 401


def test_a_users_page_never_touches_another_users_token(client, operator_a, operator_b):
    theirs = Token.objects.create(user=operator_b)
    client.force_login(operator_a)
    assert "You have no API token." in client.get(URL).content.decode()
    client.post(URL, {"intent": "revoke"})
    client.post(URL, {"intent": "create"})
    assert Token.objects.filter(pk=theirs.pk, user=operator_b).exists()
    assert theirs.key not in client.get(URL).content.decode()


def test_a_viewers_token_cannot_change_anything(client, viewer_a, station_a):
    client.force_login(viewer_a)
    client.post(URL, {"intent": "create"})
    key = Token.objects.get(user=viewer_a).key
    client.logout()
    response = client.patch(
        "/api/charging_stations/CP-A-1/", {"name": "Hacked"}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code in (403, 404)
    station_a.refresh_from_db()
    assert station_a.name == "Station A1"
