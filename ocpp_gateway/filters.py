"""The message log's filters for /api/messages/ (station, action, direction, type, time range)."""
from __future__ import annotations

from datetime import datetime, timedelta

import django_filters

from ocpp_gateway.models import Message
from sessions.filters import DateOrDateTimeFilter, _start_of

TYPE_CHOICES = [("CALL", "CALL"), ("CALLRESULT", "CALLRESULT"), ("CALLERROR", "CALLERROR")]


class MessageFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity", label="Station identity")
    action = django_filters.CharFilter(field_name="action", label="OCPP action (e.g. StatusNotification)")
    direction = django_filters.ChoiceFilter(choices=Message.Direction.choices)
    message_type = django_filters.ChoiceFilter(choices=TYPE_CHOICES, method="filter_type", label="CALL, CALLRESULT or CALLERROR")
    since = DateOrDateTimeFilter(method="filter_since", label="At or after (date or date-time, UTC)")
    until = DateOrDateTimeFilter(method="filter_until", label="Before (a date-time), or on or before (a date), UTC")

    class Meta:
        model = Message
        fields = ["station", "action", "direction", "message_type", "since", "until"]

    def filter_type(self, queryset, name, value):
        return queryset.filter(message_type=Message.Type[value])

    def filter_since(self, queryset, name, value):
        return queryset.filter(time__gte=_start_of(value))

    def filter_until(self, queryset, name, value):
        if isinstance(value, datetime):
            return queryset.filter(time__lt=value)
        return queryset.filter(time__lt=_start_of(value + timedelta(days=1)))
