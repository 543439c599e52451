from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Q


class Command(BaseCommand):
    help = (
        "Create the first account admin if none exists, from DJANGO_SUPERUSER_USERNAME, "
        "DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL, or with a generated password printed once."
    )

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if User.objects.filter(Q(is_superuser=True) | Q(is_account_admin=True), is_active=True).exists():
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        generated = password is None
        if generated:
            password = secrets.token_urlsafe(16)
        existing = User.objects.filter(username=username).first()
        if existing is None:
            User.objects.create_superuser(username=username, email=email, password=password, is_account_admin=True)
            self.stdout.write(self.style.SUCCESS(f"Created account admin {username!r}."))
        else:
            # A member who happens to be called "admin" must not stop `make run`; whoever runs it
            # owns the machine, so the account becomes the account admin with the new password.
            existing.is_superuser = existing.is_staff = existing.is_account_admin = existing.is_active = True
            existing.email = email or existing.email
            existing.set_password(password)
            existing.save()
            self.stdout.write(self.style.SUCCESS(f"Made the existing user {username!r} the account admin."))
        if generated:
            # Printed once, never stored in clear: the operator changes it after logging in.
            self.stdout.write(f"Its password is: {password}")
