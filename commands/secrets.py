"""Secret parameters at rest: sealed (Fernet, key derived from SECRET_KEY) while a command waits to be
sent, removed once it is final, and shown as "<redacted>" by every surface in between.

An action declares its secret parameters (``RemoteAction.secret_parameters``); its builder reads them
with ``unseal`` on the gateway's event loop, without the database.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

REDACTED = "<redacted>"


def _fernet() -> Fernet:
    # The derivation predates this module (certificates' password rotation): tokens sealed then still open.
    key = hashlib.sha256(b"switch-password-rotation:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    return _fernet().encrypt(str(secret).encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, AttributeError):
        raise ValueError("The secret can no longer be read (SECRET_KEY changed, or the command is no longer pending): send the action again.") from None


def parameters_seal(parameters: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: seal(v) if k in names and v not in (None, "") else v for k, v in parameters.items()}


def parameters_redact(parameters: Any, names: tuple[str, ...]) -> Any:
    """What surfaces show: the parameters with every secret replaced by "<redacted>"."""
    if not isinstance(parameters, dict) or not names:
        return parameters
    return {k: REDACTED if k in names else v for k, v in parameters.items()}
