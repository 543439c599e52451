"""API building blocks shared by every network-scoped endpoint."""
from __future__ import annotations

from rest_framework import permissions, serializers, viewsets

from networks.models import Network


class NetworkRolePermission(permissions.BasePermission):
    """Viewers read; operators and admins of the object's network change it."""

    message = "Your role in this network does not allow changes."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return view.get_queryset_for_user(write=True).filter(pk=obj.pk).exists()


class WritableNetworkField(serializers.SlugRelatedField):
    """A network picked by name, limited to those the user may write to."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "name")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context["request"]
        return Network.objects.for_user(request.user, write=True)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related network-scoped object by id, looked up only among those the user may write to."""

    def __init__(self, model, **kwargs):
        self.queryset_model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context["request"]
        return self.queryset_model.objects.for_user(request.user, write=True)


class NetworkScopedViewSet(viewsets.ModelViewSet):
    """Reads through ``Model.objects.for_user``: another network's object is a 404."""

    permission_classes = [NetworkRolePermission]
    model = None

    def get_queryset_for_user(self, *, write: bool = False):
        return self.model.objects.for_user(self.request.user, write=write)

    def get_queryset(self):
        return self.get_queryset_for_user()

    def check_write_role(self) -> None:
        from networks.querysets import network_ids_for_user

        ids = network_ids_for_user(self.request.user, write=True)
        if ids is not None and not ids.exists():
            self.permission_denied(self.request, message=NetworkRolePermission.message)

    def create(self, request, *args, **kwargs):
        self.check_write_role()
        return super().create(request, *args, **kwargs)
