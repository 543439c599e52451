from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from locations.models import Location
from networks.cli import acting_user, add_user_argument, network_named
from stations.services import station_connection_details, station_create


class Command(BaseCommand):
    help = "Add a station to a network and print what to enter on it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--network", required=True, help="Network name")
        parser.add_argument("--identity", required=True)
        parser.add_argument("--password", required=True, help="16 to 40 characters")
        parser.add_argument("--name", default="")
        parser.add_argument("--location", default=None, help="Location name within the network")
        add_user_argument(parser)

    def handle(self, *args, network: str, identity: str, password: str, name: str, location: str | None,
               user: str | None, **opts) -> None:
        actor = acting_user(user)
        network_obj = network_named(network, user=actor, write=True)
        location_obj = None
        if location:
            locations = Location.objects.for_user(actor, write=True)
            location_obj = locations.filter(network=network_obj, name=location).first()
            if location_obj is None:
                raise CommandError(f"No location named {location!r} in network {network!r}.")
        try:
            station = station_create(
                network=network_obj, identity=identity, password=password, name=name, location=location_obj
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                errors = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            else:
                errors = " ".join(exc.messages)
            raise CommandError(errors) from None
        details = station_connection_details(station=station, password=password)
        self.stdout.write(self.style.SUCCESS(f"Added station {station.identity!r} to {network_obj.name!r} (Pending)."))
        self.stdout.write(f"Connection URL: {details.url}")
        self.stdout.write(f"Password, hex form (Zaptec / OCPP 1.6 AuthorizationKey): {details.password_hex}")
        if details.zaptec_warning:
            self.stdout.write(self.style.WARNING(details.zaptec_warning))
        self.stdout.write("The password is stored as a hash and will not be shown again.")
