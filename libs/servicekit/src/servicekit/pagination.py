"""Opaque keyset cursors: the last row's sort values, so the next page starts right after it."""

import base64
import binascii
import json
from typing import Any


class BadCursor(ValueError):
    """A cursor this API did not give out."""


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(values, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The `size` values `encode_cursor` packed; BadCursor for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise BadCursor(str(exc)) from None
    if not isinstance(values, list) or len(values) != size:
        raise BadCursor("not a cursor this API gave out")
    return values
