"""RFID lists as CSV in the console: export what the list shows, import a file all or nothing."""
from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sessions.models import IdToken, IdTokenGroup

EXPORT = reverse("console:id-token-export")
IMPORT = reverse("console:id-token-import")


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("cards.csv", text.encode(), content_type="text/csv")


def exported(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def staff(network_a):
    return IdTokenGroup.objects.create(network=network_a, token="STAFF")


def test_export_follows_the_filters_and_the_network_scope(client, operator_a, network_a, network_b, staff):
    IdToken.objects.create(network=network_a, token="A-1", label="=HYPERLINK(\"x\")", group=staff)
    IdToken.objects.create(network=network_a, token="A-2", status="Blocked")
    IdToken.objects.create(network=network_b, token="B-1")
    client.force_login(operator_a)
    rows = exported(client.get(EXPORT))
    assert [(r["token"], r["status"], r["group"], r["network"]) for r in rows] == [
        ("A-1", "Accepted", "STAFF", "Network A"), ("A-2", "Blocked", "", "Network A"),
    ]
    assert rows[0]["label"] == "'=HYPERLINK(\"x\")"  # escaped against spreadsheet formulas
    assert [r["token"] for r in exported(client.get(EXPORT, {"status": "Blocked"}))] == ["A-2"]


def test_an_import_adds_and_updates_case_insensitively(client, operator_a, network_a, staff):
    IdToken.objects.create(network=network_a, token="CARD-1", label="Old label")
    client.force_login(operator_a)
    response = client.post(IMPORT, {"network": network_a.pk, "file": csv_file(
        "token,status,expires_at,group,label\n"
        "card-1,Blocked,,,Lost\n"
        "CARD-2,,2030-01-31T12:00:00Z,staff,Driver 2\n"
        "CARD-3,,,,\n"
    )}, follow=True)
    assert "Imported into Network A: 2 added, 1 updated." in response.content.decode()
    tokens = {t.token: t for t in IdToken.objects.filter(network=network_a)}
    assert sorted(tokens) == ["CARD-1", "CARD-2", "CARD-3"]
    assert (tokens["CARD-1"].status, tokens["CARD-1"].label) == ("Blocked", "Lost")
    assert (tokens["CARD-2"].group, tokens["CARD-2"].expires_at.isoformat()) == (staff, "2030-01-31T12:00:00+00:00")
    assert (tokens["CARD-3"].status, tokens["CARD-3"].token_type) == ("Accepted", "ISO14443")


def test_an_exported_file_imports_as_it_is(client, operator_a, network_a, staff):
    IdToken.objects.create(network=network_a, token="E-1", group=staff, label="One")
    client.force_login(operator_a)
    text = b"".join(client.get(EXPORT).streaming_content).decode()
    IdToken.objects.all().delete()
    client.post(IMPORT, {"network": network_a.pk, "file": csv_file(text.replace(",network", "").replace(",Network A", ""))})
    token = IdToken.objects.get()
    assert (token.token, token.group, token.label) == ("E-1", staff, "One")


def test_one_bad_row_and_nothing_is_saved_every_bad_line_named(client, operator_a, network_a):
    client.force_login(operator_a)
    response = client.post(IMPORT, {"network": network_a.pk, "file": csv_file(
        "token,status,group\nGOOD-1,,\nBAD-1,Maybe,\nBAD-2,,NOGROUP\n"
    )})
    errors = response.context["errors"]
    assert errors[0].startswith("line 3: status: Select a valid choice.")
    assert errors[1] == "line 4: Network A has no id token group 'NOGROUP'."
    assert not IdToken.objects.exists()


@pytest.mark.parametrize("text, message", [
    ("card,label\nX,\n", "needs 'token'"),
    ("token,colour\nX,red\n", "Unknown columns: colour"),
    ("token\n", "no rows under its header"),
])
def test_a_malformed_file_is_a_field_error(client, operator_a, network_a, text, message):
    client.force_login(operator_a)
    response = client.post(IMPORT, {"network": network_a.pk, "file": csv_file(text)})
    assert message in " ".join(response.context["form"].errors["file"])


def test_a_viewer_exports_but_cannot_import(client, viewer_a, network_a):
    IdToken.objects.create(network=network_a, token="V-1")
    client.force_login(viewer_a)
    assert [r["token"] for r in exported(client.get(EXPORT))] == ["V-1"]
    assert b"Import CSV" not in client.get(reverse("console:id-token-list")).content
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"network": network_a.pk, "file": csv_file("token\nV-2\n")}).status_code == 403
    assert not IdToken.objects.filter(token="V-2").exists()


def test_another_networks_operator_cannot_import_into_it(client, operator_b, network_a):
    client.force_login(operator_b)
    response = client.post(IMPORT, {"network": network_a.pk, "file": csv_file("token\nX-1\n")})
    assert "network" in response.context["form"].errors
    assert not IdToken.objects.exists()
    assert exported(client.get(EXPORT)) == []
