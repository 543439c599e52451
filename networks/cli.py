"""Who a management command acts as.

Shell access to the platform is account-wide, so a command without --user acts as an account
admin. With --user it reads and writes through the same ``for_user`` scoping as the admin and API.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from networks.models import Network


class Account:
    """Stands in for "whoever has shell access": an active account admin."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    is_account_admin = True


def add_user_argument(parser) -> None:
    parser.add_argument("--user", default=None, help="Act as this user: only the networks the user may see or change.")


def acting_user(username: str | None):
    if not username:
        return Account()
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No active user named {username!r}.") from None


def network_named(name: str, *, user, write: bool) -> Network:
    network = Network.objects.for_user(user, write=write).filter(name=name).first()
    if network is None:
        # Same answer whether the network is absent or someone else's, as the API's 404.
        raise CommandError(f"No network named {name!r}" + (" that you may change." if write else "."))
    return network
