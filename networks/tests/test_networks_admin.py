"""The Networks page and admin login: account admins manage networks and their members."""
from __future__ import annotations

from django.urls import reverse

from networks.models import Membership, Network, User


def test_account_admin_creates_a_network_with_members(client, account_admin, operator_a):
    client.force_login(account_admin)
    data = {
        "name": "South", "description": "",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": operator_a.pk, "memberships-0-role": "viewer",
    }
    response = client.post(reverse("admin:networks_network_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    south = Network.objects.get(name="South")
    assert Membership.objects.get(network=south, user=operator_a).role == "viewer"
    listing = client.get(reverse("admin:networks_network_changelist"))
    row = next(n for n in listing.context["cl"].result_list if n.name == "South")
    assert listing.context["cl"].model_admin.member_count(row) == 1


def test_the_networks_page_shows_members_and_counts(client, account_admin, operator_a, viewer_a, station_a):
    client.force_login(account_admin)
    content = client.get(reverse("admin:networks_network_change", args=[station_a.network_id])).content.decode()
    assert "bob" in content and "victor" in content
    listing = client.get(reverse("admin:networks_network_changelist"))
    admin = listing.context["cl"].model_admin
    network = listing.context["cl"].result_list[0]
    assert (admin.member_count(network), admin.location_count(network), admin.station_count(network)) == (2, 1, 1)


def test_a_new_member_sees_the_network_at_once(client, account_admin, network_b, location_b):
    newcomer = User.objects.create_user(username="dana", password="pw-dana")
    Membership.objects.create(user=newcomer, network=network_b, role="operator")
    client.force_login(newcomer)
    assert "Depot B" in client.get(reverse("admin:locations_location_changelist")).content.decode()


def login(client, username: str, password: str):
    return client.post(reverse("admin:login"), {"username": username, "password": password,
                                                "next": reverse("admin:index")})


def test_members_log_in_to_the_admin_without_being_staff(client, operator_a, viewer_a):
    for user in (operator_a, viewer_a):
        assert not user.is_staff
        response = login(client, user.username, "pw-" + user.username)
        assert response.status_code == 302 and response.url == reverse("admin:index")
        client.logout()


def test_account_admins_log_in_without_being_staff(client, account_admin):
    assert not account_admin.is_staff and not account_admin.is_superuser
    assert login(client, "alice", "pw-alice").status_code == 302


def test_a_user_without_networks_cannot_log_in(client, db):
    User.objects.create_user(username="nobody", password="pw-nobody")
    response = login(client, "nobody", "pw-nobody")
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_an_account_admin_cannot_make_themselves_superuser(client, account_admin):
    client.force_login(account_admin)
    url = f"/admin/networks/user/{account_admin.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
    form = {
        "username": account_admin.username,
        "is_active": "on",
        "is_account_admin": "on",
        "is_superuser": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    account_admin.refresh_from_db()
    assert account_admin.is_account_admin
    assert not account_admin.is_superuser and not account_admin.is_staff


def test_a_superuser_can_grant_superuser(client, account_admin):
    from networks.models import User

    root = User.objects.create_superuser(username="root", password="pw-root")
    client.force_login(root)
    page = client.get(f"/admin/networks/user/{account_admin.pk}/change/")
    assert b'name="is_superuser"' in page.content
