from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response

from networks.models import Network
from networks.querysets import is_account_admin
from networks.serializers import NetworkSerializer
from networks.services import network_delete


class AccountAdminWrites(permissions.BasePermission):
    """Members read their networks; account admins create and change them.

    Changes are refused per object, after the scoped lookup, so a member who names another
    network's id gets 404 like everywhere else, not a 403 that confirms it exists.
    """

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if view.action == "create":
            return is_account_admin(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in permissions.SAFE_METHODS or is_account_admin(request.user)


class NetworkViewSet(viewsets.ModelViewSet):
    serializer_class = NetworkSerializer
    permission_classes = [AccountAdminWrites]
    filterset_fields = ["name"]

    def get_queryset(self):
        return Network.objects.for_user(self.request.user).prefetch_related("memberships__user")

    def destroy(self, request, *args, **kwargs):
        try:
            network_delete(network=self.get_object())
        except ValidationError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
