"""Security in the API, per station (identity), and the upgrade records to poll.

    GET  /api/charging_stations/<identity>/security/                    profile, certificates, history
    POST /api/charging_stations/<identity>/security/upgrade/            {"target_profile": 2|3}
    POST /api/charging_stations/<identity>/security/rotate_password/
    POST /api/charging_stations/<identity>/security/install_ca/
    POST /api/charging_stations/<identity>/security/refresh_certificates/
    POST /api/charging_stations/<identity>/security/delete_certificate/ {"id": <installed certificate>}
    GET  /api/security_upgrades/  and  /api/security_upgrades/<id>/

Actions answer 202 once recorded and queued; the records show how they went.
"""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import pki
from certificates.models import (
    CertificateRequest,
    ConnectionSecurity,
    InstalledCertificate,
    PasswordRotation,
    UpgradeRecord,
)
from certificates.serializers import (
    CertificateRequestSerializer,
    ConnectionSecuritySerializer,
    DeleteCertificateSerializer,
    InstalledCertificateSerializer,
    PasswordRotationSerializer,
    UpgradeRequestSerializer,
    UpgradeSerializer,
)
from certificates.services import (
    certificate_delete,
    certificate_install_ca,
    certificates_refresh,
    password_rotation_send,
)
from certificates.upgrades import UpgradeRefused, upgrade_start
from networks.api import NetworkRolePermission
from stations.models import Station


def _station(request, identity: str, *, write: bool = False) -> Station:
    station = get_object_or_404(Station.objects.for_user(request.user), identity=identity)
    if write and not Station.objects.for_user(request.user, write=True).filter(pk=station.pk).exists():
        raise PermissionDenied(NetworkRolePermission.message)
    return station


class StationSecurityView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: {"type": "object"}})
    def get(self, request, identity: str):
        station = _station(request, identity)
        user = request.user
        connection = ConnectionSecurity.objects.for_user(user).filter(station=station).first()
        return Response(
            {
                "identity": station.identity,
                "minimum_profile": station.security_profile,
                "connection": ConnectionSecuritySerializer(connection).data if connection else None,
                "installed_certificates": InstalledCertificateSerializer(
                    InstalledCertificate.objects.for_user(user).filter(station=station), many=True
                ).data,
                "certificate_requests": CertificateRequestSerializer(
                    CertificateRequest.objects.for_user(user).filter(station=station)[:20], many=True
                ).data,
                "password_rotations": PasswordRotationSerializer(
                    PasswordRotation.objects.for_user(user).filter(station=station)[:20], many=True
                ).data,
                "upgrades": UpgradeSerializer(
                    UpgradeRecord.objects.for_user(user).filter(station=station).prefetch_related("steps")[:10], many=True
                ).data,
            }
        )


class StationSecurityActionView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    actions = ("upgrade", "rotate_password", "install_ca", "refresh_certificates", "delete_certificate")

    @extend_schema(request={"application/json": {"type": "object"}}, responses={202: {"type": "object"}})
    def post(self, request, identity: str, action: str):
        if action not in self.actions:
            return Response({"detail": f"Unknown action; one of {', '.join(self.actions)}."}, status=status.HTTP_404_NOT_FOUND)
        station = _station(request, identity, write=True)
        try:
            if action == "upgrade":
                body = UpgradeRequestSerializer(data=request.data)
                body.is_valid(raise_exception=True)
                upgrade = upgrade_start(
                    station=station, target_profile=body.validated_data["target_profile"], requested_by=request.user
                )
                return Response(UpgradeSerializer(upgrade).data, status=status.HTTP_202_ACCEPTED)
            if action == "rotate_password":
                rotation = password_rotation_send(station=station, requested_by=request.user)
                return Response(PasswordRotationSerializer(rotation).data, status=status.HTTP_202_ACCEPTED)
            if action == "install_ca":
                command = certificate_install_ca(station=station, requested_by=request.user)
            elif action == "refresh_certificates":
                command = certificates_refresh(station=station, requested_by=request.user)
            else:
                body = DeleteCertificateSerializer(data=request.data)
                body.is_valid(raise_exception=True)
                certificate = get_object_or_404(
                    InstalledCertificate.objects.for_user(request.user, write=True).filter(station=station),
                    pk=body.validated_data["id"],
                )
                command = certificate_delete(certificate=certificate, requested_by=request.user)
        except (UpgradeRefused, pki.PkiError) as exc:
            raise serializers.ValidationError({"detail": str(exc)}) from None
        return Response({"command": command.pk, "status": command.status}, status=status.HTTP_202_ACCEPTED)


class UpgradeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UpgradeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return UpgradeRecord.objects.for_user(self.request.user).select_related("station").prefetch_related("steps")
