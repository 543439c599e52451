from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from networks.admin_mixins import AccountAdminOnly, NetworkScopedAdmin
from networks.models import Membership, Network, User
from networks.querysets import is_account_admin
from networks.selectors import user_list_manageable
from networks.services import user_check_manageable, user_may_manage


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Network)
class NetworkAdmin(NetworkScopedAdmin):
    list_display = ["name", "member_count", "location_count", "station_count", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        # The network selector narrows other lists; this page always lists every visible network.
        return Network.objects.for_user(request.user)

    @admin.display(description="members")
    def member_count(self, obj: Network) -> int:
        return obj.memberships.count()

    @admin.display(description="locations")
    def location_count(self, obj: Network) -> int:
        return obj.locations.count()

    @admin.display(description="stations")
    def station_count(self, obj: Network) -> int:
        return obj.stations.count()

    def has_add_permission(self, request) -> bool:
        return is_account_admin(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_account_admin(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_account_admin(request.user)


@admin.register(User)
class UserAdmin(AccountAdminOnly, DjangoUserAdmin):
    list_display = ["username", "email", "is_account_admin", "is_superuser", "is_active"]
    list_filter = ["is_account_admin", "is_superuser", "is_active"]
    fieldsets = DjangoUserAdmin.fieldsets + (("Account", {"fields": ("is_account_admin",)}),)
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # Account admins manage users and networks; only a superuser hands out superuser rights
        # and Django model permissions, so an account admin cannot raise themselves above it.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "is_staff", "user_permissions", "groups"]
        return readonly

    # Who may change whom is networks.services.user_may_manage; every page (change, password,
    # delete, history, list actions) reaches a user through this queryset and these permissions.
    def get_queryset(self, request):
        qs = user_list_manageable(actor=request.user)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_object(self, request, object_id, from_field=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # A superuser is out of an account admin's reach: as absent as a missing id.
            raise Http404("No user with that id.")
        return obj

    def has_view_permission(self, request, obj=None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or user_may_manage(actor=request.user, target=obj))

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_may_manage(actor=request.user, target=obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or user_may_manage(actor=request.user, target=obj))

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # The stored row decides: a form must not turn a superuser into a target by its POST.
            user_check_manageable(actor=request.user, target=User.objects.get(pk=obj.pk))
        user_check_manageable(actor=request.user, target=obj)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj) -> None:
        user_check_manageable(actor=request.user, target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            user_check_manageable(actor=request.user, target=user)
        super().delete_queryset(request, queryset)
