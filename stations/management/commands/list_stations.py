from __future__ import annotations

from django.core.management.base import BaseCommand

from networks.cli import acting_user, add_user_argument, network_named
from stations.models import Station


class Command(BaseCommand):
    help = "List stations, optionally of one network or only the pending ones."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--network", default=None, help="Network name")
        parser.add_argument("--pending", action="store_true", help="Only stations waiting to be onboarded")
        add_user_argument(parser)

    def handle(self, *args, network: str | None, pending: bool, user: str | None, **options) -> None:
        actor = acting_user(user)
        stations = Station.objects.for_user(actor).select_related("network", "location")
        if network:
            stations = stations.in_network(network_named(network, user=actor, write=False))
        if pending:
            stations = stations.pending()
        rows = [("IDENTITY", "NAME", "NETWORK", "LOCATION", "STATE", "OCPP", "CONNECTED", "LAST SEEN")]
        for s in stations.order_by("network__name", "identity"):
            rows.append(
                (
                    s.identity,
                    s.name,
                    s.network.name,
                    s.location.name if s.location else "-",
                    s.state,
                    s.ocpp_version or "-",
                    "yes" if s.connected else "no",
                    s.last_seen.isoformat(timespec="seconds") if s.last_seen else "-",
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
