"""Periodic gateway tasks (CELERY_BEAT_SCHEDULE)."""
from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def gateway_sweep_dead_nodes() -> int:
    """Mark offline the stations of gateway nodes whose presence key expired (see ocpp_gateway.presence)."""
    from ocpp_gateway.presence import nodes_sweep

    return nodes_sweep()


@shared_task(ignore_result=True)
def messages_prune() -> int:
    """Delete message-log frames older than their network's retention (MESSAGE_RETENTION_DAYS)."""
    from ocpp_gateway.services import messages_prune as prune

    return prune().deleted
