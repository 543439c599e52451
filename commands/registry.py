"""The registry of remote actions: the contract between the commands app and the apps that own actions.

``commands`` holds the generic life cycle of a Command (queued → sent → accepted / rejected / failed /
timed out, or queued → station offline) and knows no action by name. Each owning app registers its
actions from its ``AppConfig.ready()``; the admin's and the console's action menus, the API
(``/api/charging_stations/<identity>/actions/``) and ``manage.py station_action`` list what is registered.

How to add an action (touch only the owning app):

1. In ``<app>/actions.py`` write a parameter form, a subclass of ``commands.forms.ActionForm`` (it
   knows ``self.station`` and ``self.version``; ``only_for``/``require_for`` refuse fields per OCPP
   version). Enforce the owning app's rules in its ``clean()``: every surface goes through it.
2. Write one builder per OCPP version: ``def build(command) -> <ocpp.v16.call / ocpp.v201.call payload>``.
   It runs on the gateway's event loop: read ``command.parameters`` (and ``command.pk``), never the
   database; raise ``ValueError`` with a sentence when the parameters cannot make a CALL.
3. Register it::

       def register() -> None:       # called from <App>Config.ready()
           registry.register(RemoteAction(
               name="reserve_now", label="Reserve now", form=ReserveNowForm,
               build={V16: _reserve_v16, V201: _reserve_v201},   # the versions it exists in
               result=registry.status_word,            # answer dict (camelCase) → the station's word
               accepting=frozenset({"Accepted"}),      # words that mean "accepted"; others "rejected"
               on_final=reservation_command_finished,  # optional: called with the Command once final
               secret_parameters=(),                   # parameters sealed at rest, shown "<redacted>"
           ))

   ``form=None`` makes an internal action: created only by the owner's services through
   ``commands.services.command_create``, not offered in menus, the API or ``station_action``.
4. Send one from a service: ``command_request(...)`` (operator input, validated by the form) or
   ``command_create(station=..., action=..., parameters=..., listener="<name>")`` (trusted input).
   A ``listener`` is a name given to ``register_listener``; the row carries it, and that function
   hears the outcome of that one command (e.g. the security upgrade's steps), after ``on_final``.

Listeners run inside the transaction that records the final status, each in a savepoint: a failing
listener is logged and never undoes the command's answer. They run once per command.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commands.forms import ActionForm
    from commands.models import Command
    from stations.models import Station

#: Station status words that mean the station did (or will do) what was asked.
DEFAULT_ACCEPTING = frozenset({"Accepted", "Unlocked", "RebootRequired", "Scheduled"})


def status_word(answer: dict[str, Any]) -> str:
    """The default answer reader: the CALLRESULT's ``status`` (most OCPP confirmations carry one)."""
    return str(answer.get("status", "")) if isinstance(answer, dict) else ""


Builder = Callable[["Command"], Any]
Listener = Callable[["Command"], None]


@dataclass(frozen=True)
class RemoteAction:
    name: str
    label: str
    #: OCPP version ("1.6", "2.0.1") → builder of the ``ocpp`` library call payload for that version.
    build: Mapping[str, Builder]
    form: type[ActionForm] | None = None
    description: str = ""
    result: Callable[[dict[str, Any]], str] = status_word
    accepting: frozenset[str] = DEFAULT_ACCEPTING
    on_final: Listener | None = None
    secret_parameters: tuple[str, ...] = ()
    #: Return True to hold a queued command instead of sending it (``waiting_for_idle``); the
    #: owner releases it with ``commands.services.station_session_ended``. Called with the version.
    hold: Callable[[Command, str], bool] | None = None

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.build)

    @property
    def operator(self) -> bool:
        """Offered to operators (menus, API, station_action): it has a parameter form."""
        return self.form is not None

    def available_for(self, version: str) -> bool:
        """Whether a station speaking ``version`` ("" when not known yet) can be sent this action."""
        return not version or version in self.build

    def build_request(self, command: Command, *, version: str) -> Any:
        try:
            builder = self.build[version]
        except KeyError:
            raise ValueError(
                f"{self.label} does not exist in OCPP {version or '(unknown version)'}; "
                f"it exists in OCPP {', '.join(self.versions)}."
            ) from None
        return builder(command)


class UnknownAction(ValueError):
    pass


_actions: dict[str, RemoteAction] = {}
_listeners: dict[str, Listener] = {}


def register(action: RemoteAction) -> RemoteAction:
    """Add ``action``; registering the same name twice with another definition is a bug."""
    if len(action.name) > 32:
        raise ValueError(f"Action names are at most 32 characters (Command.action): {action.name!r}.")
    existing = _actions.get(action.name)
    if existing is not None and _owner(existing) != _owner(action):
        # Two apps claiming one name: the second would silently take over the first one's commands.
        raise ValueError(f"Remote action {action.name!r} is already registered by {_owner(existing)}.")
    _actions[action.name] = action
    return action


def _owner(action: RemoteAction) -> str:
    return next(iter(action.build.values())).__module__ if action.build else ""


def unregister(name: str) -> None:
    """For tests that register an action of their own."""
    _actions.pop(name, None)


def register_listener(name: str, listener: Listener) -> None:
    existing = _listeners.get(name)
    if existing is not None and existing is not listener:
        raise ValueError(f"Listener {name!r} is already registered.")
    _listeners[name] = listener


def get(name: str) -> RemoteAction:
    try:
        return _actions[name]
    except KeyError:
        raise UnknownAction(f"Unknown action {name!r}; one of {', '.join(operator_names()) or 'none'}.") from None


def listener(name: str) -> Listener | None:
    return _listeners.get(name)


def all_actions() -> list[RemoteAction]:
    return sorted(_actions.values(), key=lambda a: a.name)


def operator_actions(*, version: str | None = None) -> list[RemoteAction]:
    """The actions an operator may send, optionally only those a station of ``version`` knows."""
    return [a for a in all_actions() if a.operator and (version is None or a.available_for(version))]


def operator_names() -> list[str]:
    return [a.name for a in operator_actions()]


def label(name: str) -> str:
    action = _actions.get(name)
    return action.label if action else name.replace("_", " ").capitalize()


def choices() -> list[tuple[str, str]]:
    """Every registered action as (name, label), for filters and admin lists."""
    return [(a.name, a.label) for a in all_actions()]
