"""Remote actions in the API.

    GET  /api/charging_stations/<identity>/actions/            the actions this station's version takes
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

from commands import registry
from commands.filters import CommandFilter
from commands.forms import form_fields
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


def action_description(action: registry.RemoteAction, *, station: Station, request) -> dict:
    return {
        "name": action.name,
        "label": action.label,
        "description": action.description,
        "ocpp_versions": list(action.versions),
        "fields": form_fields(action.form),
        "url": request.build_absolute_uri(f"/api/charging_stations/{station.identity}/actions/{action.name}/"),
    }


class StationActionListView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="charging_stations_actions_list",
        responses={200: {"type": "array", "items": {"type": "object"}}},
        description="The remote actions an operator can send to this station (those its OCPP version takes, "
        "every one while the version is not known yet), each with its parameter fields.",
    )
    def get(self, request, identity: str):
        station = _station_for(request, identity)
        actions = registry.operator_actions(version=station.ocpp_version or "")
        return Response([action_description(action, station=station, request=request) for action in actions])


class StationActionView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _action(self, action: str) -> registry.RemoteAction:
        try:
            remote_action = registry.get(action)
        except registry.UnknownAction:
            raise Http404(f"No action {action!r}.") from None
        if not remote_action.operator:
            raise Http404(f"No action {action!r}: the platform sends it itself.")
        return remote_action

    @extend_schema(
        operation_id="charging_stations_actions_describe",
        responses={200: {"type": "object"}},
        description="The action and its parameter fields.",
    )
    def get(self, request, identity: str, action: str):
        remote_action = self._action(action)
        station = _station_for(request, identity)
        return Response(action_description(remote_action, station=station, request=request))

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={201: CommandSerializer, 202: CommandSerializer},
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, description="A name listed by GET .../actions/.")],
        description="Send a remote action. 202 with the queued command, or 201 when it is already final "
        "(station offline). Parameter errors come back as field errors (400).",
    )
    def post(self, request, identity: str, action: str):
        self._action(action)
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
            errors = exc.message_dict
            if "__all__" in errors:
                errors["non_field_errors"] = errors.pop("__all__")
            raise serializers.ValidationError(errors) from None
        body = CommandSerializer(command, context={"request": request}).data
        code = status.HTTP_201_CREATED if command.is_final else status.HTTP_202_ACCEPTED
        return Response(body, status=code, headers={"Location": f"/api/commands/{command.pk}/"})
