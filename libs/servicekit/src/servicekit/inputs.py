"""What any request may carry: one rule for text and one for numbers, for every service and the gateway.

Text: no NUL, no other control character (a body's text may hold tabs and line breaks; a path
or a query parameter may not), no lone UTF-16 surrogate. PostgreSQL refuses NUL in text and
JSON, asyncpg cannot encode a lone surrogate, and control characters have no place in a name, a
template or a search. They are refused (422, naming the field), never silently removed, so what
is stored is what was sent.

Numbers: whatever reaches a column fits it. Whole numbers fit PostgreSQL's `integer` (every
count, version, order number and offset column is one), date-times lie between the years 1900
and 2999 (so adding a period to one cannot overflow), and amounts are the contracts' `Amount`
(plain decimal strings below `MAX_AMOUNT`: see contracts.money).

Request bodies get both rules by deriving from `Input`; query strings and paths get the text
rule from `InputRules`, installed on every app, and declare their numbers with the bounds below.
"""

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qsl
from uuid import UUID

from contracts import check_magnitude
# Re-exported: the services take their inputs from here, the types are the contracts'.
from contracts.names import Locale as Locale, ProviderName as ProviderName, language_of as language_of
from fastapi import Path
from pydantic import (
    AfterValidator, AwareDatetime, BaseModel, ConfigDict, PlainValidator, StringConstraints, WithJsonSchema,
    field_validator,
)
from starlette.types import ASGIApp, Receive, Scope, Send

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def text_fault(value: str, *, lines: bool = True) -> str | None:
    """Why this text cannot be taken, or None; `lines`: tabs and line breaks are part of it."""
    for char in value:
        if lines and char in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(char)
        if char == "\x00":
            return "must not contain a NUL character"
        if category == "Cc":
            return f"must not contain the control character U+{ord(char):04X}"
        if category == "Cs":
            return "must not contain a lone surrogate (not valid Unicode)"
    return None


def int_fault(value: int) -> str | None:
    if not INT32_MIN <= value <= INT32_MAX:
        return f"must lie between {INT32_MIN} and {INT32_MAX}"
    return None


def moment_fault(value: datetime) -> str | None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
    return None


def value_fault(value: Any) -> str | None:
    """The first fault in a value of any shape (nested lists, dicts and models), with where it lies."""
    for where, fault in _faults(value, ""):
        return f"{where}: {fault}" if where else fault
    return None


def _faults(value: Any, where: str) -> Iterator[tuple[str, str]]:
    fault: str | None = None
    if isinstance(value, str):
        fault = text_fault(value)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        fault = int_fault(value)
    elif isinstance(value, Decimal):
        try:
            check_magnitude(value)
        except ValueError as exc:
            fault = str(exc)
    elif isinstance(value, datetime):
        fault = moment_fault(value)
    elif isinstance(value, BaseModel):
        # A contracts model inside a request (access terms, lesson delays) has no rules of its own.
        for name in type(value).model_fields:
            yield from _faults(getattr(value, name), _join(where, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _faults(key, where)
            yield from _faults(item, _join(where, str(key)))
    elif isinstance(value, (list, tuple, set, frozenset)):
        for n, item in enumerate(value):
            yield from _faults(item, _join(where, str(n)))
    if fault:
        yield where, fault


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _checked(value: Any) -> Any:
    fault = value_fault(value)
    if fault:
        raise ValueError(fault)
    return value


class Input(BaseModel):
    """The base of every request body: unknown fields refused, text and numbers checked."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _fits(cls, value: Any) -> Any:
        return _checked(value)


# A name or title: spaces around it are dropped, and nothing may be left blank.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# A date-time a query may filter on (bodies are checked by `Input`).
Moment = Annotated[AwareDatetime, AfterValidator(_checked)]

# A language: contracts.Locale itself (any BCP 47 or POSIX tag, kept as its language), under the
# name the inputs first gave it. It and contracts.ProviderName are defined with the events, so an
# input, an answer and an event that mean a language or a provider share one type.
Language = Locale


def install_input_rules(app: Any) -> None:
    """Inside the request context (its correlation id and metrics) and outside every route."""
    app.add_middleware(InputRules)


class InputRules:
    """The text rule for every query parameter and the path, before any route sees them.

    A path may not carry an encoded slash or backslash either: routes match the decoded path,
    so `/orders/1%2Fhistory` would otherwise reach `/orders/1/history`, another route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = _refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


_ENCODED_SEPARATOR = re.compile(rb"%(2f|5c)", re.IGNORECASE)


def _refusal(scope: Scope) -> Any:
    from .http import invalid_field  # the problem shape lives with the other HTTP conventions

    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    if _ENCODED_SEPARATOR.search(raw_path):
        return invalid_field("path", "must not contain an encoded '/' or '\\'")
    fault = text_fault(scope["path"], lines=False)
    if fault:
        return invalid_field("path", fault)
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        fault = text_fault(name, lines=False) or text_fault(value, lines=False)
        if fault:
            # Named as the request validation names a query parameter.
            return invalid_field(f"query.{name}" if text_fault(name, lines=False) is None else "query", fault)
    return None


def _order_ref(value: Any) -> UUID | int:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value) if len(value) <= 10 else INT32_MAX + 1
        if not 1 <= number <= INT32_MAX:
            raise ValueError(f"an order number lies between 1 and {INT32_MAX}")
        return number
    try:
        return UUID(str(value))
    except ValueError:
        raise ValueError("an order id (a UUID) or an order number") from None


# An order as every `/orders/{order}/...` route takes it, in every service: its id or its number
# (a positive integer column). Anything else is one 422 naming the path parameter.
OrderRef = Annotated[
    UUID | int,
    PlainValidator(_order_ref),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "uuid"},
                              {"type": "integer", "minimum": 1, "maximum": INT32_MAX}]}),
    Path(description="The order's id (a UUID) or its number"),
]
