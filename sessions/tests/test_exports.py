from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from networks.models import Membership
from sessions.models import Export
from sessions.services import export_run


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def session_ids(body: bytes) -> set[int]:
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    return {int(r["session_id"]) for r in rows}


def request_export(client, django_capture_on_commit_callbacks, data: dict):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/sessions/exports/", data, content_type="application/json")
    return response


def poll(client, response) -> dict:
    assert response.status_code == 202, response.content
    return client.get(f"/api/sessions/exports/{response.json()['id']}/").json()


def test_an_export_runs_in_the_background_and_its_file_downloads(
    client, operator_a, sessions_ab, django_capture_on_commit_callbacks
):
    client.force_login(operator_a)
    response = request_export(client, django_capture_on_commit_callbacks, {"id_token": "ALICE"})
    assert response.status_code == 202, response.content
    export_id = response.json()["id"]

    polled = client.get(f"/api/sessions/exports/{export_id}/").json()
    assert polled["status"] == "done"
    assert (polled["progress"], polled["row_count"], polled["total_rows"]) == (100, 2, 2)
    assert polled["network"] == "Network A" and polled["filters"] == {"id_token": "ALICE"}
    assert polled["download_url"].endswith(f"/api/sessions/exports/{export_id}/download/")

    download = client.get(polled["download_url"])
    assert download.status_code == 200
    assert session_ids(b"".join(download.streaming_content)) == {sessions_ab["a_day1"].pk, sessions_ab["a_active"].pk}


def test_another_networks_export_is_404_everywhere(
    client, operator_a, viewer_a, operator_b, sessions_ab, django_capture_on_commit_callbacks
):
    client.force_login(operator_a)
    export_id = request_export(client, django_capture_on_commit_callbacks, {}).json()["id"]

    client.force_login(viewer_a)  # same network: may see and download it
    assert client.get(f"/api/sessions/exports/{export_id}/download/").status_code == 200

    client.force_login(operator_b)
    assert client.get(f"/api/sessions/exports/{export_id}/").status_code == 404
    assert client.get(f"/api/sessions/exports/{export_id}/download/").status_code == 404
    assert client.get("/api/sessions/exports/").json()["count"] == 0
    assert client.get(f"/admin/charging_sessions/export/{export_id}/download/").status_code == 404
    assert client.get(f"/admin/charging_sessions/export/{export_id}/change/").status_code == 404


def test_an_export_holds_only_what_its_requester_may_see(
    client, operator_b, account_admin, sessions_ab, django_capture_on_commit_callbacks
):
    client.force_login(operator_b)
    export_id = request_export(client, django_capture_on_commit_callbacks, {"network": "Network B"}).json()["id"]
    body = b"".join(client.get(f"/api/sessions/exports/{export_id}/download/").streaming_content)
    assert session_ids(body) == {sessions_ab["b_day1"].pk}

    # Naming a network one is not a member of gets nothing started.
    response = request_export(client, django_capture_on_commit_callbacks, {"network": "Network A"})
    assert response.status_code == 400

    client.force_login(account_admin)
    export = poll(client, request_export(client, django_capture_on_commit_callbacks, {}))
    assert export["network"] is None
    body = b"".join(client.get(export["download_url"]).streaming_content)
    assert session_ids(body) == {s.pk for s in sessions_ab.values()}


def test_viewers_may_export(client, viewer_a, sessions_ab, django_capture_on_commit_callbacks):
    client.force_login(viewer_a)
    response = request_export(client, django_capture_on_commit_callbacks, {"status": "active"})
    assert response.status_code == 202
    assert poll(client, response)["row_count"] == 1


def test_a_member_of_two_networks_must_pick_one(
    client, operator_a, network_b, sessions_ab, django_capture_on_commit_callbacks
):
    Membership.objects.create(user=operator_a, network=network_b, role="viewer")
    client.force_login(operator_a)
    response = request_export(client, django_capture_on_commit_callbacks, {})
    assert response.status_code == 400
    assert "network" in response.json()
    assert request_export(client, django_capture_on_commit_callbacks, {"network": "Network B"}).status_code == 202


def test_bad_filters_are_refused(client, operator_a, django_capture_on_commit_callbacks):
    client.force_login(operator_a)
    response = request_export(client, django_capture_on_commit_callbacks, {"since": "last tuesday"})
    assert response.status_code == 400
    assert Export.objects.count() == 0


def test_an_export_is_run_once_even_if_delivered_twice(operator_a, network_a, sessions_ab):
    export = Export.objects.create(requested_by=operator_a, network=network_a)
    assert export_run(export_id=export.pk) is True
    assert export_run(export_id=export.pk) is False
    export.refresh_from_db()
    assert (export.status, export.row_count) == ("done", 3)


def test_the_admin_starts_an_export_with_the_current_filters_and_shows_it(
    client, operator_a, operator_b, sessions_ab, django_capture_on_commit_callbacks
):
    client.force_login(operator_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/charging_sessions/session/export/?status=completed&id_token=BOB")
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.filters == {"status": "completed", "id_token": "BOB"}
    page = client.get("/admin/charging_sessions/export/")
    assert page.status_code == 200
    assert 'value="100"' in page.content.decode() and "Download CSV" in page.content.decode()
    download = client.get(f"/admin/charging_sessions/export/{export.pk}/download/")
    assert session_ids(b"".join(download.streaming_content)) == {sessions_ab["a_day2"].pk}

    client.force_login(operator_b)
    assert "Download CSV" not in client.get("/admin/charging_sessions/export/").content.decode()


def test_export_sessions_command(tmp_path, sessions_ab):
    out = tmp_path / "sessions.csv"
    call_command("export_sessions", "--network", "Network A", "--since", "2026-11-03", "--out", str(out))
    assert session_ids(out.read_bytes()) == {sessions_ab["a_day2"].pk, sessions_ab["a_active"].pk}
    call_command("export_sessions", "--until", "2026-11-02", "--out", str(out))
    assert session_ids(out.read_bytes()) == {sessions_ab["a_day1"].pk, sessions_ab["b_day1"].pk}
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("export_sessions", "--network", "Nowhere", "--out", str(out))
    with pytest.raises(CommandError):
        call_command("export_sessions", "--since", "soon", "--out", str(out))


def test_deleting_an_export_in_the_admin_removes_its_file(client, operator_a, network_a, sessions_ab):
    from django.core.files.storage import default_storage

    export = Export.objects.create(requested_by=operator_a, network=network_a)
    export_run(export_id=export.pk)
    export.refresh_from_db()
    assert default_storage.exists(export.file.name)
    client.force_login(operator_a)
    response = client.post(f"/admin/charging_sessions/export/{export.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Export.objects.filter(pk=export.pk).exists()
    assert not default_storage.exists(export.file.name)
