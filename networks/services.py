from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError

from networks.models import Network, User
from networks.querysets import is_account_admin


def network_delete(*, network: Network) -> None:
    """Delete an empty network; one with locations, stations or other records stays."""
    try:
        network.delete()
    except ProtectedError as exc:
        names = sorted(str(obj) for obj in exc.protected_objects)
        raise ValidationError(f"Network {network.name!r} is still in use by: {', '.join(names)}.") from None


def user_may_manage(*, actor, target: User) -> bool:
    """Account admins manage users, but only a superuser changes a superuser (any field, password,
    activation, deletion): otherwise an account admin could set a superuser's password and become it."""
    if not is_account_admin(actor):
        return False
    return bool(actor.is_superuser or not target.is_superuser)


def user_check_manageable(*, actor, target: User) -> None:
    """Refuses (PermissionDenied) any change of ``target`` that ``actor`` may not make."""
    if not user_may_manage(actor=actor, target=target):
        raise PermissionDenied(f"Only a superuser may change the superuser {target.username!r}.")
