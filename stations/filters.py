from __future__ import annotations

import django_filters
from django.db.models import Q

from stations.models import STATION_CATEGORIES, Station


class StationFilter(django_filters.FilterSet):
    network = django_filters.CharFilter(field_name="network__name")
    location = django_filters.NumberFilter(field_name="location_id")
    search = django_filters.CharFilter(method="filter_search", label="Name, identity, location, vendor or model contains")
    # The console's status filter: the station categories of the dashboard.
    status = django_filters.ChoiceFilter(
        choices=[(c, c) for c in STATION_CATEGORIES], method="filter_status", label="Status (as on the dashboard)"
    )

    class Meta:
        model = Station
        fields = ["network", "location", "state", "connected", "boot_pending", "ocpp_version", "vendor", "status"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value)
            | Q(identity__icontains=value)
            | Q(location__name__icontains=value)
            | Q(vendor__icontains=value)
            | Q(model__icontains=value)
        )

    def filter_status(self, queryset, name, value):
        return queryset.in_category(value)
