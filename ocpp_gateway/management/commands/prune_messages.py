"""manage.py prune_messages: delete message-log frames older than their retention, now (beat does it hourly)."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ocpp_gateway.services import messages_prune


class Command(BaseCommand):
    help = (
        "Delete OCPP message-log frames older than their network's retention or MESSAGE_RETENTION_DAYS "
        "(and quarantined rows older than the latter), in chunks of MESSAGE_PRUNE_CHUNK rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None,
            help=f"the platform default for this run (default MESSAGE_RETENTION_DAYS, now {settings.MESSAGE_RETENTION_DAYS}); "
            "networks with their own retention keep it",
        )
        parser.add_argument("--chunk", type=int, default=None, help="rows per delete transaction")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, days: int | None, chunk: int | None, dry_run: bool, **options) -> None:
        if days is not None and days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        if chunk is not None and chunk < 1:
            self.stderr.write("--chunk must be at least 1")
            raise SystemExit(2)
        result = messages_prune(default_days=days, chunk=chunk, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {result.deleted} message-log rows and {result.quarantined_deleted} quarantined rows.")
