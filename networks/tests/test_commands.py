"""create_network and ensure_account_admin (the first admin `make run` creates)."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from networks.models import Network, User


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_network(db):
    assert "Created network 'North'" in run("create_network", "North", "--description", "Region north")
    assert Network.objects.get(name="North").description == "Region north"
    with pytest.raises(CommandError, match="A network named 'North' already exists"):
        run("create_network", "North")


def test_first_admin_gets_a_generated_password_printed_once(db, monkeypatch):
    for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    out = run("ensure_account_admin")
    password = out.split("Its password is: ", 1)[1].strip()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_account_admin and admin.check_password(password)
    assert len(password) >= 20
    assert run("ensure_account_admin") == ""
    assert User.objects.count() == 1


def test_first_admin_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ops")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long chosen passphrase")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.com")
    out = run("ensure_account_admin")
    assert "Created account admin 'ops'" in out and "password" not in out
    admin = User.objects.get(username="ops")
    assert admin.email == "ops@example.com" and admin.check_password("a long chosen passphrase")


def test_no_new_admin_when_an_account_admin_exists(account_admin, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ops")
    assert run("ensure_account_admin") == ""
    assert not User.objects.filter(username="ops").exists()


def test_an_existing_user_with_the_admin_name_is_promoted_not_duplicated(db, monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long chosen passphrase")
    User.objects.create_user(username="admin", password="old")
    out = run("ensure_account_admin")
    assert "Made the existing user 'admin' the account admin" in out
    admin = User.objects.get(username="admin")
    assert admin.is_account_admin and admin.is_superuser and admin.check_password("a long chosen passphrase")
