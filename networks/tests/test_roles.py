"""Who counts as what: superusers are account admins, a network's admin role writes like an operator,
and a changed role takes effect on the next request."""
from __future__ import annotations

from django.urls import reverse

from networks.models import Membership, User
from networks.tests.clients import token_client


def station_names(client) -> set[str]:
    return {row["identity"] for row in client.get("/api/charging_stations/").json()["results"]}


def test_a_superuser_without_the_flag_is_an_account_admin(client, station_a, station_b):
    root = User.objects.create_superuser(username="root", password="pw-root")
    assert not root.is_account_admin
    assert station_names(token_client(root)) == {"CP-A-1", "CP-B-1"}
    client.force_login(root)
    assert client.get(reverse("admin:networks_user_changelist")).status_code == 200
    assert client.get(reverse("admin:stations_station_change", args=[station_b.pk])).status_code == 200


def test_a_network_admin_writes_in_that_network_only(network_a, station_a, station_b):
    boss = User.objects.create_user(username="boss", password="pw-boss")
    Membership.objects.create(user=boss, network=network_a, role="admin")
    api = token_client(boss)
    assert station_names(api) == {"CP-A-1"}
    assert api.patch("/api/charging_stations/CP-A-1/", {"name": "Renamed"}, format="json").status_code == 200
    assert api.patch("/api/charging_stations/CP-B-1/", {"name": "Renamed"}, format="json").status_code == 404
    # Networks themselves stay with the account admins.
    assert api.patch(f"/api/networks/{network_a.pk}/", {"name": "Mine"}, format="json").status_code == 403


def test_a_changed_role_applies_to_the_next_request(client, operator_a, station_a):
    api = token_client(operator_a)
    assert api.patch("/api/charging_stations/CP-A-1/", {"name": "One"}, format="json").status_code == 200
    Membership.objects.filter(user=operator_a).update(role="viewer")
    assert api.patch("/api/charging_stations/CP-A-1/", {"name": "Two"}, format="json").status_code == 403
    client.force_login(operator_a)
    assert client.get(reverse("admin:stations_station_add")).status_code == 403
    Membership.objects.filter(user=operator_a).delete()
    assert station_names(api) == set()


def test_a_deactivated_account_admin_loses_access(client, account_admin, station_a):
    api = token_client(account_admin)
    client.force_login(account_admin)
    account_admin.is_active = False
    account_admin.save()
    assert api.get("/api/charging_stations/").status_code == 401
    response = client.get(reverse("admin:stations_station_changelist"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
