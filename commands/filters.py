from __future__ import annotations

import django_filters

from commands.models import Command, CommandAction, CommandStatus


class CommandFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity")
    status = django_filters.MultipleChoiceFilter(choices=CommandStatus.choices)
    action = django_filters.ChoiceFilter(choices=CommandAction.choices)

    class Meta:
        model = Command
        fields = ["station", "status", "action"]
