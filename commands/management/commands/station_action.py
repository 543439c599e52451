from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from commands import registry
from commands.models import Command as CommandRecord
from commands.services import WAIT_GRACE_SECONDS, UnknownAction, command_request
from networks.cli import Account, acting_user, add_user_argument
from stations.models import Station


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"--param takes key=value, not {pair!r}.")
        params[key.strip()] = value
    return params


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # Read when --help is asked, after every app registered its actions (commands.registry).
        return (
            "Send a remote action to a station and print the station's answer. Actions: "
            + ", ".join(registry.operator_names())
            + ". Needs REDIS_URL (the daphne holding the station's socket is another process)."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("identity")
        parser.add_argument("action", choices=registry.operator_names())
        parser.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--no-wait", action="store_true", help="Print the command id and return at once.")
        add_user_argument(parser)

    def handle(self, *args, identity: str, action: str, param: list[str], no_wait: bool, user: str | None, **options) -> None:
        if not settings.REDIS_URL:
            # The in-memory channel layer lives inside the daphne process: from here nothing reaches it.
            raise CommandError(
                "station_action needs REDIS_URL: without it the channel layer is in-memory and only the "
                "process serving the station can reach it. Use the admin or the API of `make run` instead."
            )
        actor = acting_user(user)
        # As in the API: another network's station does not exist, a viewer may look but not act.
        station = Station.objects.for_user(actor).filter(identity=identity).first()
        if station is None:
            raise CommandError(f"No station {identity!r}.")
        if not Station.objects.for_user(actor, write=True).filter(pk=station.pk).exists():
            raise CommandError(f"{user}'s role in {station.network} does not allow remote actions.")
        try:
            command = command_request(
                station=station,
                action=action,
                parameters=parse_params(param),
                requested_by=None if isinstance(actor, Account) else actor,
            )
        except UnknownAction as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            errors = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            raise CommandError(f"Invalid parameters: {errors}") from None
        self.stdout.write(f"Command {command.pk}: {command.get_action_display()} on {identity}, {command.get_status_display()}.")
        if no_wait:
            return
        deadline = time.monotonic() + settings.OCPP_CALL_TIMEOUT + 2 * WAIT_GRACE_SECONDS
        while not command.is_final and not command.waiting_for_idle and time.monotonic() < deadline:
            time.sleep(0.1)
            command.refresh_from_db()
        self.report(command)

    def report(self, command: CommandRecord) -> None:
        line = f"{command.get_status_display()}"
        if command.waiting_for_idle:
            line += ": waiting for the running session to end"
        if command.result:
            line += f" ({command.result})"
        if command.error:
            line += f": {command.error}"
        style = self.style.SUCCESS if command.status == "accepted" else self.style.WARNING
        self.stdout.write(style(line))
        if command.answer is not None:
            self.stdout.write(f"Answer: {command.answer}")
        if not command.is_final and not command.waiting_for_idle:
            raise CommandError("No outcome yet; is a Celery worker running (make worker)?")
        if command.status not in ("accepted",) and not command.waiting_for_idle:
            raise CommandError(f"The station did not do it: {command.get_status_display()}.")
