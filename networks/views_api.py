from __future__ import annotations

from rest_framework import permissions, viewsets

from networks.models import Network
from networks.querysets import is_account_admin
from networks.serializers import NetworkSerializer


class AccountAdminWrites(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or is_account_admin(request.user)


class NetworkViewSet(viewsets.ModelViewSet):
    serializer_class = NetworkSerializer
    permission_classes = [AccountAdminWrites]
    filterset_fields = ["name"]

    def get_queryset(self):
        return Network.objects.for_user(self.request.user).prefetch_related("memberships__user")
