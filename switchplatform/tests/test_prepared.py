"""A PreparedQuery gives what its queryset gives: the same rows, relations and annotations."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.services import station_connection_secured, with_admission_state
from ocpp_gateway.models import VerifiedCredential
from stations.models import Station
from switchplatform.prepared import PreparedQuery

pytestmark = pytest.mark.django_db

query = PreparedQuery(
    lambda identity: with_admission_state(Station.objects.filter(identity=identity))
    .select_related("network", "verified_credential")
    .order_by()[:1]
)


def test_the_same_station_relations_and_annotations_as_the_orm(station_a, station_b):
    from django.utils import timezone

    VerifiedCredential.objects.create(station=station_a, digest="d" * 64, verified_at=timezone.now())
    station_connection_secured(station=station_b, profile=1)
    for station in (station_a, station_b):
        expected = with_admission_state(Station.objects.filter(identity=station.identity)).select_related(
            "network", "verified_credential"
        ).get()
        with CaptureQueriesContext(connection) as queries:
            got = query.first(station.identity)
            # Relations come with the row: reading them costs no query.
            network_name = got.network.name
            has_credential = hasattr(got, "verified_credential")
        assert len(queries) == 1
        assert got.pk == expected.pk and got.identity == station.identity
        assert network_name == expected.network.name
        assert has_credential == (station == station_a)
        assert got.upgrade_running == expected.upgrade_running is False
        assert {f.attname: getattr(got, f.attname) for f in Station._meta.concrete_fields} == {
            f.attname: getattr(expected, f.attname) for f in Station._meta.concrete_fields
        }
    # select_related of a reverse one-to-one with no row: known absent, no query either.
    with CaptureQueriesContext(connection) as queries:
        assert query.first(station_b.identity).connection_security.profile == 1
        assert not hasattr(query.first(station_a.identity), "connection_security")
    assert len(queries) == 2


def test_a_value_that_matches_nothing_and_one_that_looks_like_sql(station_a):
    assert query.first("NOPE") is None
    assert query.first("x' OR '1'='1") is None
    assert query.all(station_a.identity)[0].pk == station_a.pk


def test_a_query_with_more_than_one_value_is_refused():
    bad = PreparedQuery(lambda value: Station.objects.filter(identity=value, name=value))
    with pytest.raises(ValueError):
        bad.first("x")
