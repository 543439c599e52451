from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Q


def login_box(*, console_url: str, username: str, password_line: str) -> str:
    """The console URL and the admin's login in a box: the last thing `make run` prints before
    serving, so it is not lost ~120 lines up among pip's and migrate's output (issue 16)."""
    lines = [f"Console:  {console_url}", f"Admin:    {username}", password_line]
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line.ljust(width)} |" for line in lines), rule])


class Command(BaseCommand):
    help = (
        "Create the first account admin if none exists, from DJANGO_SUPERUSER_USERNAME, "
        "DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL, or with a generated password printed once. "
        "With --host/--port (make run), end by printing the console URL and the admin's login in a box."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=None, help="Where `make run` serves: print the login box for it.")
        parser.add_argument("--port", default=None)

    def handle(self, *args, host: str | None = None, port: str | None = None, **options) -> None:
        username, password_line = self._ensure()
        if host is not None or port is not None:
            # 0.0.0.0 / :: listen everywhere; a browser on this machine reaches them as 127.0.0.1.
            shown_host = "127.0.0.1" if host in (None, "", "0.0.0.0", "::", "[::]") else host
            url = f"http://{shown_host}:{port or 8000}/console/"
            self.stdout.write(login_box(console_url=url, username=username, password_line=password_line))

    def _ensure(self) -> tuple[str, str]:
        """Create the admin if needed; return its username and what to say about its password."""
        User = get_user_model()
        existing_admin = (
            User.objects.filter(Q(is_superuser=True) | Q(is_account_admin=True), is_active=True)
            .order_by("pk")
            .first()
        )
        if existing_admin is not None:
            return existing_admin.username, "Password: as set before (printed once at the first run)"
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
            return username, f"Password: {password}  (shown once: change it after signing in)"
        return username, "Password: DJANGO_SUPERUSER_PASSWORD"
