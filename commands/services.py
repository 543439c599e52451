"""Writes for remote actions, one concern per module (this module keeps the names callers import).

- ``commands.lifecycle``: record (``command_request`` from operator input, ``command_create`` from an
  owner's service), send or fail offline (``command_send``), finish once and tell the listeners;
- ``commands.answers``: the consumer's side (claim, record the answer or the error);
- ``commands.delivery``: the worker's side (hand to the consumer, wait, expire);
- ``commands.registry``: what each action is (the contract the owning apps register with).
"""
from __future__ import annotations

from commands.answers import command_answer_record, command_error_record, command_start
from commands.delivery import command_dispatch
from commands.lifecycle import (
    OFFLINE_ERROR,
    WAIT_GRACE_SECONDS,
    UnknownAction,
    command_create,
    command_expire,
    command_finish,
    command_parameters_clean,
    command_queue,
    command_request,
    command_send,
    station_session_ended,
)

__all__ = [
    "OFFLINE_ERROR",
    "WAIT_GRACE_SECONDS",
    "UnknownAction",
    "command_answer_record",
    "command_create",
    "command_dispatch",
    "command_error_record",
    "command_expire",
    "command_finish",
    "command_parameters_clean",
    "command_queue",
    "command_request",
    "command_send",
    "command_start",
    "station_session_ended",
]
