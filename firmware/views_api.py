from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from firmware.downloads import firmware_file_response
from firmware.filters import FirmwareFilter, FirmwareUpdateFilter
from firmware.models import Firmware, FirmwareUpdate
from firmware.serializers import FirmwareSerializer, FirmwareUpdateSerializer, UpdateFirmwareRequestSerializer
from firmware.services import firmware_delete, firmware_update_request
from networks.api import NetworkRolePermission, NetworkScopedViewSet
from stations.models import Station


class FirmwareViewSet(NetworkScopedViewSet):
    """Firmware images: upload (multipart), list, describe, download (with Range), delete."""

    model = Firmware
    serializer_class = FirmwareSerializer
    filterset_class = FirmwareFilter
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]

    def get_queryset(self):
        return super().get_queryset().select_related("network")

    def perform_destroy(self, instance: Firmware) -> None:
        firmware_delete(firmware=instance)

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            return Response(
                {"detail": "This image was sent to stations; it stays for their update history."},
                status=status.HTTP_409_CONFLICT,
            )

    @extend_schema(responses={(200, "application/octet-stream"): bytes, (206, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get", "head"])
    def download(self, request, pk=None):
        # get_object reads through for_user: another network's image is a 404.
        return firmware_file_response(request=request, firmware=self.get_object())


class FirmwareUpdateViewSet(NetworkScopedViewSet):
    """Firmware updates with their timeline (read only: start one with the station action)."""

    model = FirmwareUpdate
    serializer_class = FirmwareUpdateSerializer
    filterset_class = FirmwareUpdateFilter
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return (
            super().get_queryset().select_related("station", "firmware", "requested_by").prefetch_related("events")
        )


class StationUpdateFirmwareView(APIView):
    """POST /api/charging_stations/<identity>/actions/update_firmware/: send UpdateFirmware."""

    permission_classes = [NetworkRolePermission]

    @extend_schema(request=UpdateFirmwareRequestSerializer, responses={202: FirmwareUpdateSerializer})
    def post(self, request, identity: str):
        station = get_object_or_404(Station.objects.for_user(request.user), identity=identity)
        if not Station.objects.for_user(request.user, write=True).filter(pk=station.pk).exists():
            raise PermissionDenied(NetworkRolePermission.message)
        params = UpdateFirmwareRequestSerializer(data=request.data, context={"request": request})
        params.is_valid(raise_exception=True)
        try:
            [update] = firmware_update_request(
                stations=[station], requested_by=request.user, **params.validated_data
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"firmware": exc.messages}) from None
        update.refresh_from_db()
        return Response(FirmwareUpdateSerializer(update, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
