"""Reads of account-wide objects that depend on who is asking."""
from __future__ import annotations

from django.db.models import QuerySet

from networks.models import User
from networks.querysets import is_account_admin


def user_list_manageable(*, actor) -> QuerySet[User]:
    """The users ``actor`` may see and manage: everyone for a superuser, the non-superusers for an
    account admin (a superuser is out of their reach, so it is as absent as a missing id), nobody else."""
    users = User.objects.all()
    if not is_account_admin(actor):
        return users.none()
    if actor.is_superuser:
        return users
    return users.filter(is_superuser=False)
