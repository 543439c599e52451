from __future__ import annotations

import django_filters

from stations.models import Station


class StationFilter(django_filters.FilterSet):
    network = django_filters.CharFilter(field_name="network__name")
    location = django_filters.NumberFilter(field_name="location_id")
    search = django_filters.CharFilter(method="filter_search", label="Name or identity contains")

    class Meta:
        model = Station
        fields = ["network", "location", "state", "connected", "ocpp_version", "vendor"]

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(identity__icontains=value))
