from __future__ import annotations

import django_filters

from commands import registry
from commands.models import Command, CommandStatus


class CommandFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity")
    status = django_filters.MultipleChoiceFilter(choices=CommandStatus.choices)
    # Callable: the registry fills up in the apps' ready(), after this module is imported.
    action = django_filters.ChoiceFilter(choices=registry.choices)

    class Meta:
        model = Command
        fields = ["station", "status", "action"]
