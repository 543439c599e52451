"""A new user straight into a network with a role, by an account admin: the "users and their roles"
part of the daily work that otherwise needs the admin's Users page. Existing users are added on the
network page (console.views.networks); this creates the account first."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from console.views.base import console_view, render_page
from networks.models import Membership, Network, User
from networks.querysets import is_account_admin


class NewMemberForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[User.username_validator], help_text=User._meta.get_field("username").help_text)
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html() + " Give it to them; they sign in at the console with it.",
    )
    role = forms.ChoiceField(choices=Membership.ROLE_CHOICES, initial="viewer")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("A user with that username exists: add them with Add a member on the network page.")
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and cleaned.get("username"):
            candidate = User(username=cleaned["username"], email=cleaned.get("email", ""),
                             first_name=cleaned.get("first_name", ""), last_name=cleaned.get("last_name", ""))
            try:
                validate_password(password, user=candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


@console_view
def member_create(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_account_admin(request.user):
        raise PermissionDenied("Only account admins manage networks.")
    network = get_object_or_404(Network.objects.for_user(request.user), pk=pk)
    form = NewMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            # A plain user: never staff, superuser or account admin from here.
            user = User.objects.create_user(
                username=data["username"], email=data["email"], password=data["password"],
                first_name=data["first_name"], last_name=data["last_name"],
            )
            Membership.objects.create(user=user, network=network, role=data["role"])
        messages.success(request, f"User {user.username} created as {dict(Membership.ROLE_CHOICES)[data['role']].lower()} of {network}.")
        return HttpResponseRedirect(reverse("console:network-detail", args=[network.pk]) + "#members")
    return render_page(
        request, "console/member_create.html", {"form": form, "network": network},
        title=f"New user in {network.name}", section="networks",
    )
