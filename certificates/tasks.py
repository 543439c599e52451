"""Celery interface: takes ids, calls a service."""
from __future__ import annotations

from celery import shared_task

from certificates.upgrades import upgrade_expire as upgrade_expire_service


@shared_task(acks_late=True)
def upgrade_expire(upgrade_id: int) -> None:
    """Fail an upgrade that has not finished within SECURITY_UPGRADE_TIMEOUT."""
    upgrade_expire_service(upgrade_id=upgrade_id)
