"""The session list's filters: one vocabulary for the API, the admin, CSV downloads and exports."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from sessions.models import Session, SessionStatus


class DateOrDateTimeField(forms.Field):
    """2026-11-01 or 2026-11-01T08:00:00Z; a naive value is UTC."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, date | datetime):
            return value
        parsed = forms.DateTimeField().to_python(value)
        if isinstance(parsed, datetime) and len(str(value).strip()) <= 10:
            return parsed.date()
        if parsed is not None and timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        return parsed


@extend_schema_field(OpenApiTypes.STR)
class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


def _start_of(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


class SessionFilter(django_filters.FilterSet):
    since = DateOrDateTimeFilter(method="filter_since", label="Started on or after (date or date-time, UTC)")
    until = DateOrDateTimeFilter(
        method="filter_until", label="Started before (a date-time), or on or before (a date), UTC"
    )
    network = django_filters.CharFilter(field_name="network__name", label="Network name")
    location = django_filters.NumberFilter(field_name="location_id", label="Location id")
    station = django_filters.CharFilter(field_name="station__identity", label="Station identity")
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    id_token = django_filters.CharFilter(field_name="id_token", lookup_expr="iexact", label="Id token")
    search = django_filters.CharFilter(method="filter_search", label="Id token, transaction id or station contains")

    class Meta:
        model = Session
        fields = ["since", "until", "network", "location", "station", "status", "id_token", "search"]

    def filter_since(self, queryset, name, value):
        return queryset.filter(started_at__gte=_start_of(value))

    def filter_until(self, queryset, name, value):
        if isinstance(value, datetime):
            return queryset.filter(started_at__lt=value)
        # A date means the whole day.
        return queryset.filter(started_at__lt=_start_of(value + timedelta(days=1)))

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(
            Q(id_token__icontains=value) | Q(transaction_id__icontains=value) | Q(station__identity__icontains=value)
        )


FILTER_NAMES = tuple(SessionFilter.base_filters)


def session_filter_params(data) -> dict[str, str]:
    """The filter parameters in a query string or body, as a plain dict (for an Export's record)."""
    return {name: str(data.get(name)) for name in FILTER_NAMES if data.get(name) not in (None, "")}
