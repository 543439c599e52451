from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """The current UTC time as OCPP wants it (RFC 3339 with 'Z')."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
