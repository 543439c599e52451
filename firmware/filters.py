from __future__ import annotations

import django_filters

from firmware.models import Firmware, FirmwareUpdate


class FirmwareFilter(django_filters.FilterSet):
    network = django_filters.CharFilter(field_name="network__name")
    vendor = django_filters.CharFilter(lookup_expr="iexact")
    model = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Firmware
        fields = ["network", "shared", "vendor", "model", "version"]


class FirmwareUpdateFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity")
    network = django_filters.CharFilter(field_name="station__network__name")

    class Meta:
        model = FirmwareUpdate
        fields = ["station", "network", "status", "firmware", "request_id"]
