"""Remote actions in the API.

    POST /api/charging_stations/<identity>/actions/<action>/   body: the action's parameters
    GET  /api/charging_stations/<identity>/commands/
    GET  /api/commands/  and  /api/commands/<id>/

The POST answers as soon as the command is recorded and queued: poll the command until ``final``.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from commands.filters import CommandFilter
from commands.forms import ACTION_FORMS
from commands.models import Command
from commands.selectors import command_list
from commands.serializers import CommandSerializer
from commands.services import UnknownAction, command_request
from networks.api import NetworkRolePermission
from stations.models import Station


def _station_for(request, identity: str, *, write: bool = False) -> Station:
    """The station by identity: 404 outside the user's networks, 403 for a viewer wanting to act."""
    station = get_object_or_404(Station.objects.for_user(request.user), identity=identity)
    if write and not Station.objects.for_user(request.user, write=True).filter(pk=station.pk).exists():
        raise PermissionDenied(NetworkRolePermission.message)
    return station


class CommandViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CommandSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = CommandFilter

    def get_queryset(self):
        return command_list(user=self.request.user)


class StationCommandListView(generics.ListAPIView):
    serializer_class = CommandSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = CommandFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema without a request
            return Command.objects.none()
        station = _station_for(self.request, self.kwargs["identity"])
        return command_list(user=self.request.user, station=station)


class StationActionView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={201: CommandSerializer, 202: CommandSerializer},
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTION_FORMS))],
        description="Send a remote action. 202 with the queued command, or 201 when it is already final "
        "(station offline). Parameter errors come back as field errors (400).",
    )
    def post(self, request, identity: str, action: str):
        if action not in ACTION_FORMS:
            raise Http404(f"No action {action!r}.")
        station = _station_for(request, identity, write=True)
        if hasattr(request.data, "dict"):  # form-encoded (the browsable API): one value per key
            data = request.data.dict()
        elif isinstance(request.data, dict):
            data = dict(request.data)
        else:
            raise serializers.ValidationError({"non_field_errors": ["Send the parameters as a JSON object."]})
        try:
            command = command_request(station=station, action=action, parameters=data, requested_by=request.user)
        except UnknownAction as exc:
            raise Http404(str(exc)) from None
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        body = CommandSerializer(command, context={"request": request}).data
        code = status.HTTP_201_CREATED if command.is_final else status.HTTP_202_ACCEPTED
        return Response(body, status=code, headers={"Location": f"/api/commands/{command.pk}/"})

