from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from networks.admin_mixins import AccountAdminOnly, NetworkScopedAdmin
from networks.models import Membership, Network, User
from networks.querysets import is_account_admin


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
