from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from networks.models import Network


class Command(BaseCommand):
    help = "Create a network."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--description", default="")

    def handle(self, *args, name: str, description: str, **options) -> None:
        if Network.objects.filter(name=name).exists():
            raise CommandError(f"A network named {name!r} already exists.")
        network = Network.objects.create(name=name, description=description)
        self.stdout.write(self.style.SUCCESS(f"Created network {network.name!r} (id {network.pk})."))
