"""Admin behaviour shared by every network-scoped model.

The admin reads through ``Model.objects.for_user`` like every other entry point; this mixin only
wires that queryset into Django's admin hooks.
"""
from __future__ import annotations

import functools

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.http import Http404

from networks.querysets import is_account_admin, network_ids_for_user


def can_write_somewhere(user) -> bool:
    ids = network_ids_for_user(user, write=True)
    return ids is None or ids.exists()


_INLINE_DEFAULTS = {
    name: getattr(InlineModelAdmin, name)
    for name in ("has_view_permission", "has_add_permission", "has_change_permission", "has_delete_permission")
}


class ScopedInlineMixin:
    """Inline permissions follow the page they sit on, not Django's model permissions.

    Members and account admins hold no Django model permissions, so a plain inline would vanish
    for them. Here an inline may be seen wherever its parent page may, and changed where the parent
    object may be changed; an inline's own stricter rule (a read-only inline) still applies.
    """

    parent_admin: admin.ModelAdmin

    def _own_rule(self, name: str, request, obj) -> bool:
        method = getattr(super(), name)
        if method.__func__ is _INLINE_DEFAULTS[name]:
            return True
        return method(request, obj)

    def _parent_may_change(self, request, obj) -> bool:
        if obj is None:
            return self.parent_admin.has_add_permission(request)
        return self.parent_admin.has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        parent_may_view = self.parent_admin.has_view_permission(request, obj)
        return parent_may_view and self._own_rule("has_view_permission", request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._parent_may_change(request, obj) and self._own_rule("has_add_permission", request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._parent_may_change(request, obj) and self._own_rule("has_change_permission", request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._parent_may_change(request, obj) and self._own_rule("has_delete_permission", request, obj)


@functools.cache
def _scoped_inline_class(inline_class: type) -> type:
    if issubclass(inline_class, ScopedInlineMixin):
        return inline_class
    return type(inline_class.__name__, (ScopedInlineMixin, inline_class), {"__module__": inline_class.__module__})


class ScopedInlinesAdmin(admin.ModelAdmin):
    """Gives every inline of the page ScopedInlineMixin's permissions (Django's loop, otherwise unchanged)."""

    def get_inline_instances(self, request, obj=None):
        inline_instances = []
        for inline_class in self.get_inlines(request, obj):
            inline = _scoped_inline_class(inline_class)(self.model, self.admin_site)
            inline.parent_admin = self
            if request:
                if not inline.has_view_or_change_permission(request, obj):
                    continue
                if not inline.has_add_permission(request, obj):
                    inline.max_num = 0
            inline_instances.append(inline)
        return inline_instances


class NetworkScopedAdmin(ScopedInlinesAdmin):
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
            if db_field.name == "network":
                # The picked network, or a member's only one: no choice to make.
                only = list(kwargs["queryset"].values_list("pk", flat=True)[:2])
                if request.current_network is not None:
                    kwargs.setdefault("initial", request.current_network.pk)
                elif len(only) == 1:
                    kwargs.setdefault("initial", only[0])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedRecordAdmin(NetworkScopedAdmin):
    """A record the platform writes (messages, commands, sessions, updates): shown, never added,
    edited or deleted by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AccountAdminOnly(ScopedInlinesAdmin):
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


