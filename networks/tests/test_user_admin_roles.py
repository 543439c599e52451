"""Who may change whom on the admin's user pages: only a superuser changes a superuser.

Every user view (change, password, delete, the list's bulk action) is tried by each persona
against a superuser and against a plain user. An account admin manages plain users and never
reaches a superuser (404, as if absent); members get 403 everywhere.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_user
from networks.models import User
from networks.tests.admin_forms import change_form_data

PERSONAS = ["superuser", "account_admin", "operator_a", "viewer_a", "operator_b"]
MEMBERS = {"operator_a", "viewer_a", "operator_b"}


@pytest.fixture
def targets(db) -> dict[str, User]:
    return {
        "superuser": User.objects.create_superuser(username="sam", password="pw-sam-original"),
        "plain": make_user("pat"),
    }


def may_manage(persona: str, kind: str) -> bool:
    return persona == "superuser" or (persona == "account_admin" and kind == "plain")


def refused_status(persona: str) -> int:
    # Members may not open user pages at all; an account admin finds no superuser there.
    return 403 if persona in MEMBERS else 404


def as_persona(client, request, persona: str) -> User:
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return user


@pytest.mark.parametrize("kind", ["superuser", "plain"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_change_page_renames_and_deactivates_only_whom_the_persona_may_manage(client, request, targets,
                                                                           persona, kind):
    target = targets[kind]
    url = reverse("admin:networks_user_change", args=[target.pk])
    # The form a superuser would see, so a refused persona posts a complete, valid form.
    client.force_login(request.getfixturevalue("superuser"))
    data = change_form_data(client.get(url))
    data.update(username="renamed", _save="Save")
    # Split date and time widgets post two fields each.
    for name in ("date_joined", "last_login"):
        value = data.pop(name, "")
        data[f"{name}_0"], _, data[f"{name}_1"] = str(value)[:19].partition(" ")
    data.pop("is_active", None)
    as_persona(client, request, persona)

    page = client.get(url)
    answer = client.post(url, data)

    target.refresh_from_db()
    if may_manage(persona, kind):
        assert page.status_code == 200
        assert answer.status_code == 302, answer.context["adminform"].form.errors if answer.context else answer
        assert (target.username, target.is_active) == ("renamed", False)
    else:
        assert page.status_code == refused_status(persona)
        assert answer.status_code == refused_status(persona)
        assert target.username in ("sam", "pat") and target.is_active


@pytest.mark.parametrize("kind", ["superuser", "plain"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_password_page_sets_a_password_only_for_whom_the_persona_may_manage(client, request, targets,
                                                                          persona, kind):
    target = targets[kind]
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    as_persona(client, request, persona)
    new = "Taken-over-1234"

    page = client.get(url)
    answer = client.post(url, {"password1": new, "password2": new, "set_usable_password": "true"})

    target.refresh_from_db()
    taken_over = target.check_password(new)
    if may_manage(persona, kind):
        assert page.status_code == 200
        assert answer.status_code == 302
        assert taken_over
    else:
        assert page.status_code == refused_status(persona)
        assert answer.status_code == refused_status(persona)
        assert not taken_over
        if kind == "superuser":
            assert target.check_password("pw-sam-original")


@pytest.mark.parametrize("kind", ["superuser", "plain"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_delete_page_deletes_only_whom_the_persona_may_manage(client, request, targets, persona, kind):
    target = targets[kind]
    url = reverse("admin:networks_user_delete", args=[target.pk])
    as_persona(client, request, persona)

    page = client.get(url)
    answer = client.post(url, {"post": "yes"})

    exists = User.objects.filter(pk=target.pk).exists()
    if may_manage(persona, kind):
        assert page.status_code == 200
        assert answer.status_code == 302
        assert not exists
    else:
        assert page.status_code == refused_status(persona)
        assert answer.status_code == refused_status(persona)
        assert exists


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_bulk_delete_leaves_superusers_to_superusers(client, request, targets, persona):
    actor = as_persona(client, request, persona)
    url = reverse("admin:networks_user_changelist")
    picked = [targets["superuser"].pk, targets["plain"].pk]

    listing = client.get(url)
    answer = client.post(url, {"action": "delete_selected", "_selected_action": picked, "post": "yes"})

    remaining = set(User.objects.filter(pk__in=picked).values_list("username", flat=True))
    if persona in MEMBERS:
        assert listing.status_code == 403 and answer.status_code == 403
        assert remaining == {"sam", "pat"}
        return
    assert listing.status_code == 200 and answer.status_code == 302
    listed = {row.username for row in listing.context["cl"].result_list}
    if persona == "superuser":
        assert {"sam", "pat", actor.username} <= listed
        assert remaining == set()
    else:
        # The account admin neither sees the superuser nor deletes it by posting its id.
        assert "sam" not in listed and "root" not in listed and "pat" in listed
        assert remaining == {"sam"}


def test_an_account_admin_cannot_deactivate_a_superuser_with_the_list_filters_or_search(client, account_admin,
                                                                                       superuser, targets):
    client.force_login(account_admin)
    url = reverse("admin:networks_user_changelist")
    found = client.get(url, {"q": "sam", "is_superuser__exact": "1"})
    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == []


def test_a_superuser_is_out_of_reach_of_the_membership_autocomplete(client, account_admin, superuser, targets):
    client.force_login(account_admin)
    answer = client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "networks", "model_name": "membership", "field_name": "user"},
    )
    assert answer.status_code == 200
    names = {row["text"] for row in answer.json()["results"]}
    assert "pat" in names and "sam" not in names and "root" not in names
