"""What the HTTP routes share: who is acting, the version a write is based on, the unit of work."""

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from datetime import tzinfo
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Request
from servicekit.http import CurrentCaller, Problem, current_correlation_id

from ..service import Actor
from ..service.unit_of_work import UnitOfWork as UnitOfWorkPort


async def _actor(caller: CurrentCaller) -> Actor:
    return Actor(caller.account_id, caller.user_id, current_correlation_id())


CurrentActor = Annotated[Actor, Depends(_actor)]


async def _default_zone(request: Request) -> tzinfo:
    return ZoneInfo(request.app.state.settings.default_time_zone)  # checked by Settings at start


# `async with unit_of_work() as uow`: one use case's transaction, committed when the block ends.
UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWorkPort]]


async def _unit_of_work(request: Request) -> UnitOfWorkFactory:
    return partial(request.app.state.unit_of_work, request.app.state.engine)


UnitOfWorkDep = Annotated[UnitOfWorkFactory, Depends(_unit_of_work)]

# The zone dates are typed in for a school that named none of its own (domain.zones).
DefaultZone = Annotated[tzinfo, Depends(_default_zone)]
IfMatch = Annotated[str | None, Header(max_length=100)]


def invalid(field: str, message: str) -> Problem:
    return Problem(422, "Invalid request", f"{field}: {message}", errors=[{"field": field, "message": message}])


def version_of(if_match: str | None, body_version: int | None) -> int:
    """The version the client saw: If-Match (an ETag this API gave out) or `version` in the body."""
    header = None
    if if_match is not None:
        found = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', if_match)
        if found is None:
            raise invalid("If-Match", "not an ETag this API gave out")
        header = int(found.group(1))
    if header is not None and body_version is not None and header != body_version:
        raise invalid("version", "If-Match and version disagree")
    version = header if header is not None else body_version
    if version is None:
        raise Problem(428, "Version required", "send the version you edited, as If-Match or version",
                      errors=[{"field": "version", "message": "required"}])
    return version


def etag(version: int) -> str:
    return f'"{version}"'


def parse_uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise Problem(404, "Not found", f"no {what} {value}") from None
