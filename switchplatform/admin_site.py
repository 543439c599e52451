from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from networks.querysets import is_account_admin


def can_use_admin(user) -> bool:
    """Account admins, staff, and anyone who is a member of at least one network."""
    if not (user.is_active and user.is_authenticated):
        return False
    return user.is_staff or is_account_admin(user) or user.memberships.exists()


class MemberAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        if not can_use_admin(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"], code="invalid_login", params={"username": "username"}
            )


class SwitchAdminSite(admin.AdminSite):
    site_header = "Switch charging platform"
    site_title = "Switch"
    index_title = "Charging network"
    login_form = MemberAuthenticationForm

    def has_permission(self, request) -> bool:
        return can_use_admin(request.user)
