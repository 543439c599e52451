"""Network members and roles on the console's network page: account admins only, and only a
superuser changes a superuser's memberships (networks.services.user_may_manage)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from networks.models import Membership, User


def page(network) -> str:
    return reverse("console:network-detail", args=[network.pk])


def test_an_account_admin_adds_a_member_changes_the_role_and_removes_them(client, account_admin, network_a, operator_b):
    client.force_login(account_admin)
    client.post(page(network_a), {"intent": "add-member", "member-username": "charlie", "member-role": "viewer"})
    membership = Membership.objects.get(network=network_a, user=operator_b)
    assert membership.role == "viewer"
    content = client.get(page(network_a)).content.decode()
    assert 'data-member="charlie"' in content and 'aria-label="Role of charlie"' in content
    for role in ("operator", "admin", "viewer"):
        client.post(page(network_a), {"intent": "role", "membership": membership.pk, "role": role})
        membership.refresh_from_db()
        assert membership.role == role
    client.post(page(network_a), {"intent": "remove", "membership": membership.pk})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    # Their own network's membership is untouched.
    assert Membership.objects.filter(user=operator_b, network__name="Network B").exists()


def test_an_unknown_username_is_a_field_error(client, account_admin, network_a):
    client.force_login(account_admin)
    response = client.post(page(network_a), {"intent": "add-member", "member-username": "nobody", "member-role": "viewer"})
    assert response.context["member_form"].errors["username"] == ["No user with that username."]


def test_an_account_admin_does_not_change_a_superusers_membership(client, account_admin, superuser, network_a):
    membership = Membership.objects.create(user=superuser, network=network_a, role="admin")
    client.force_login(account_admin)
    content = client.get(page(network_a)).content.decode()
    assert "superuser: only a superuser changes this" in content
    assert 'aria-label="Role of root"' not in content
    assert client.post(page(network_a), {"intent": "role", "membership": membership.pk, "role": "viewer"}).status_code == 403
    assert client.post(page(network_a), {"intent": "remove", "membership": membership.pk}).status_code == 403
    response = client.post(page(network_a), {"intent": "add-member", "member-username": "root", "member-role": "viewer"})
    assert response.context["member_form"].errors["username"] == ["Only a superuser may change a superuser's memberships."]
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_a_superuser_changes_another_superusers_role(client, superuser, network_a):
    other = User.objects.create_superuser(username="root2", password="pw-root2")
    membership = Membership.objects.create(user=other, network=network_a, role="admin")
    client.force_login(superuser)
    client.post(page(network_a), {"intent": "role", "membership": membership.pk, "role": "viewer"})
    membership.refresh_from_db()
    assert membership.role == "viewer"


@pytest.mark.parametrize("persona", ["operator_a", "viewer_a", "operator_b"])
def test_network_members_who_are_not_account_admins_get_403(client, request, persona, network_a, viewer_a):
    client.force_login(request.getfixturevalue(persona))
    membership = Membership.objects.get(user=viewer_a)
    assert client.get(page(network_a)).status_code == 403
    assert client.post(page(network_a), {"intent": "role", "membership": membership.pk, "role": "admin"}).status_code == 403
    assert client.post(page(network_a), {"intent": "remove", "membership": membership.pk}).status_code == 403
    membership.refresh_from_db()
    assert membership.role == "viewer"
    assert "/console/networks/" not in client.get(reverse("console:dashboard")).content.decode()


def new_user_url(network) -> str:
    return reverse("console:member-create", args=[network.pk])


def test_an_account_admin_creates_a_user_straight_into_a_network(client, account_admin, network_a):
    client.force_login(account_admin)
    assert f'href="{new_user_url(network_a)}"' in client.get(page(network_a)).content.decode()
    response = client.post(new_user_url(network_a), {
        "username": "dana", "email": "dana@example.com", "first_name": "Dana", "last_name": "", "password": "tulip-harbour-9177",
        "role": "operator",
    })
    assert response["Location"] == page(network_a) + "#members"
    dana = User.objects.get(username="dana")
    assert dana.check_password("tulip-harbour-9177")
    assert (dana.is_staff, dana.is_superuser, dana.is_account_admin) == (False, False, False)
    assert Membership.objects.get(user=dana).network == network_a and Membership.objects.get(user=dana).role == "operator"
    # They sign in and see their network's console.
    client.logout()
    signed_in = client.post("/admin/login/?next=/console/", {"username": "dana", "password": "tulip-harbour-9177", "next": "/console/"})
    assert signed_in["Location"] == "/console/"
    assert client.get(reverse("console:station-list")).status_code == 200


def test_a_weak_password_or_a_taken_username_is_a_field_error(client, account_admin, network_a, operator_a):
    client.force_login(account_admin)
    data = {"username": "erin", "email": "", "first_name": "", "last_name": "", "password": "12345678", "role": "viewer"}
    errors = client.post(new_user_url(network_a), data).context["form"].errors
    assert "This password is entirely numeric." in errors["password"]
    errors = client.post(new_user_url(network_a), {**data, "username": "BOB", "password": "tulip-harbour-9177"}).context["form"].errors
    assert errors["username"] == ["A user with that username exists: add them with Add a member on the network page."]
    assert not User.objects.filter(username__in=["erin", "BOB"]).exists()


@pytest.mark.parametrize("persona", ["operator_a", "viewer_a", "operator_b"])
def test_only_account_admins_create_users(client, request, persona, network_a):
    client.force_login(request.getfixturevalue(persona))
    data = {"username": "mallory", "password": "tulip-harbour-9177", "role": "admin"}
    assert client.get(new_user_url(network_a)).status_code == 403
    assert client.post(new_user_url(network_a), data).status_code == 403
    assert not User.objects.filter(username="mallory").exists()
