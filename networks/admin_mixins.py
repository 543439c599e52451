"""Admin behaviour shared by every network-scoped model.

The admin reads through ``Model.objects.for_user`` like every other entry point; this mixin only
wires that queryset into Django's admin hooks.
"""
from __future__ import annotations

from django.contrib import admin
from django.http import Http404

from networks.querysets import is_account_admin, network_ids_for_user


def can_write_somewhere(user) -> bool:
    ids = network_ids_for_user(user, write=True)
    return ids is None or ids.exists()


class NetworkScopedAdmin(admin.ModelAdmin):
    #: Foreign keys whose choices are limited to what the user may write to.
    scoped_foreign_keys: tuple[str, ...] = ("network", "location", "station")

    def get_queryset(self, request):
        qs = self.model.objects.for_user(request.user).in_network(request.current_network)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_list_filter(self, request):
        # Django's related-field filter lists every row of the related table, so a member would
        # read other networks' names in the sidebar; list only values present in the scoped rows.
        return [
            (item, admin.RelatedOnlyFieldListFilter) if self._is_related_filter(item) else item
            for item in super().get_list_filter(request)
        ]

    def _is_related_filter(self, item) -> bool:
        if not isinstance(item, str) or "__" in item:
            return False
        try:
            field = self.model._meta.get_field(item)
        except Exception:
            return False
        return field.is_relation

    def writable_queryset(self, request):
        return self.model.objects.for_user(request.user, write=True)

    # Members are not Django staff with model permissions: their network role decides.
    def has_module_permission(self, request) -> bool:
        return True

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_add_permission(self, request) -> bool:
        return can_write_somewhere(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return can_write_somewhere(request.user)
        return self.writable_queryset(request).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Another network's object is as absent as one that never existed: 404, not a redirect.
            raise Http404(f"No {self.model._meta.verbose_name} with that id.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.scoped_foreign_keys:
            related = db_field.remote_field.model
            kwargs["queryset"] = related.objects.for_user(request.user, write=True)
            if db_field.name == "network" and request.current_network is not None:
                kwargs.setdefault("initial", request.current_network.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AccountAdminOnly(admin.ModelAdmin):
    """For account-wide objects (networks, users): account admins manage them."""

    def has_module_permission(self, request) -> bool:
        return is_account_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_account_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return is_account_admin(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_account_admin(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_account_admin(request.user)


