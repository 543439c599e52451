"""Issue 16's friction items: the plain password beside its hex, creating in another network than the
selected one, the add form's locations, make run's login box."""
from __future__ import annotations

import io

from django.core.management import call_command
from django.urls import reverse

from networks.middleware import SESSION_KEY
from networks.models import Membership
from stations.models import Station


def select(client, network) -> None:
    session = client.session
    session[SESSION_KEY] = network.pk
    session.save()


def test_the_connect_page_shows_the_password_as_typed_and_in_hex(client, operator_a, network_a, location_a):
    client.force_login(operator_a)
    html = client.post(
        reverse("console:station-add"),
        {"network": network_a.pk, "location": location_a.pk, "identity": "CP-PLAIN", "password": "AAAAAAAAAAAAAAAAAAAA"},
    ).content.decode()
    assert '<code id="password-plain">AAAAAAAAAAAAAAAAAAAA</code>' in html
    assert '<code id="password-hex">4141414141414141414141414141414141414141</code>' in html


def test_a_location_created_in_another_network_than_the_selected_one_opens(client, operator_a, network_a, network_b):
    Membership.objects.create(user=operator_a, network=network_b, role="operator")
    client.force_login(operator_a)
    select(client, network_a)
    response = client.post(
        reverse("console:location-add"), {"network": network_b.pk, "name": "South depot", "country": "DE"}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "South depot" in html and "the console now shows Network B" in html
    assert client.session[SESSION_KEY] == network_b.pk


def test_a_station_added_in_another_network_switches_the_selection(client, operator_a, network_a, network_b):
    Membership.objects.create(user=operator_a, network=network_b, role="operator")
    client.force_login(operator_a)
    select(client, network_a)
    client.post(reverse("console:station-add"), {
        "network": network_b.pk, "new_location_name": "Yard", "new_location_country": "DE", "identity": "CP-SOUTH",
        "password": "AAAAAAAAAAAAAAAAAAAA",
    })
    assert Station.objects.get(identity="CP-SOUTH").network == network_b
    assert client.get("/console/stations/CP-SOUTH/").status_code == 200


def test_the_add_form_lists_the_selected_networks_locations_with_their_network(
    client, account_admin, network_a, location_a, location_b
):
    client.force_login(account_admin)
    select(client, network_a)
    html = client.get(reverse("console:station-add")).content.decode()
    assert "Depot A" in html and "Depot B" not in html
    assert f'data-network="{network_a.pk}"' in html
    # All networks: every location, each tagged with its network for the form's narrowing script.
    session = client.session
    session.pop(SESSION_KEY)
    session.save()
    html = client.get(reverse("console:station-add")).content.decode()
    assert f'data-network="{location_b.network_id}"' in html and "Depot B" in html


def test_ensure_account_admin_ends_with_the_login_box(db):
    out = io.StringIO()
    call_command("ensure_account_admin", "--host", "0.0.0.0", "--port", "9001", stdout=out)
    text = out.getvalue()
    password = text.split("Its password is: ")[1].split()[0]
    box = text.strip().splitlines()[-5:]
    assert box[0].startswith("+---") and box[-1].startswith("+---")
    assert "| Console:  http://127.0.0.1:9001/console/" in box[1]
    assert "| Admin:    admin" in box[2]
    assert f"| Password: {password}" in box[3]
    again = io.StringIO()
    call_command("ensure_account_admin", "--host", "127.0.0.1", "--port", "9001", stdout=again)
    assert "Its password is" not in again.getvalue() and "Password: as set before" in again.getvalue()
