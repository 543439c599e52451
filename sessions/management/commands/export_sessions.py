from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from networks.models import Network
from sessions.exports import csv_write
from sessions.filters import SessionFilter
from sessions.models import Session


class Command(BaseCommand):
    help = "Write charging sessions as CSV (the columns of the admin's download) to a file, or '-' for stdout."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--network", help="Only this network (by name).")
        parser.add_argument("--since", help="Sessions started on or after this date or date-time (UTC).")
        parser.add_argument("--until", help="Sessions started on or before this date (before a date-time), UTC.")
        parser.add_argument("--out", required=True, help="The CSV file to write; '-' writes to stdout.")

    def handle(self, *args, network: str | None, since: str | None, until: str | None, out: str, **options) -> None:
        # An operator's command on the server: account-wide, like an account admin's export.
        sessions = Session.objects.all()
        if network:
            found = Network.objects.filter(name=network).first()
            if found is None:
                raise CommandError(f"No network named {network!r}.")
            sessions = sessions.in_network(found)
        filterset = SessionFilter(data={"since": since, "until": until}, queryset=sessions)
        if not filterset.is_valid():
            raise CommandError("; ".join(f"--{k}: {' '.join(v)}" for k, v in filterset.errors.items()))
        count = 0
        started = time.monotonic()

        def counted(n: int) -> None:
            nonlocal count
            count = n

        if out == "-":
            csv_write(filterset.qs, sys.stdout.buffer, on_rows=counted)
            sys.stdout.flush()
        else:
            # Written next to the target and renamed: a reader never sees half a file.
            target = Path(out)
            partial = target.with_name(target.name + ".partial")
            with partial.open("wb") as handle:
                csv_write(filterset.qs, handle, on_rows=counted)
            partial.replace(target)
            self.stderr.write(f"Wrote {count} sessions to {target} in {time.monotonic() - started:.1f} s")
