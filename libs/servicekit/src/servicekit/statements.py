"""How many SQL statements each kind of work sends.

A statement is a round trip to PostgreSQL and, above it, SQLAlchemy's and asyncpg's Python: on
the hot paths it is most of what a message costs. Every engine a service builds counts the
statements it sends (BEGIN and COMMIT are not statements here: asyncpg sends them itself) into
the tally of the work under way: an event being applied (`event <topic>`), a consumer's inbox record
of a batch (`batch <topic>`, or `batch poll` when one transaction applies several topics' records),
a request (`<METHOD> <route>`), a worker's pass (`worker <name>`), the relay's round (`relay`);
anything else into `other`. `/metrics` shows the sums as
`db_statements_total{work=...}`; the benchmark divides them by the purchases it made.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from .metrics import DB_STATEMENTS


class Tally:
    """The statements of one piece of work; `work` may be named once it is known (a route)."""

    __slots__ = ("count", "work")

    def __init__(self, work: str) -> None:
        self.count = 0
        self.work = work


# A mutable tally, not a number: tasks started inside the work copy the context and add to it.
_current: ContextVar[Tally | None] = ContextVar("statements", default=None)
_unattributed = DB_STATEMENTS.labels("other")


def count_statements(engine: AsyncEngine) -> AsyncEngine:
    event.listen(engine.sync_engine, "before_cursor_execute", _counted)
    return engine


def _counted(*_: Any) -> None:
    count_one()


def count_one() -> None:
    """One statement sent outside SQLAlchemy (`db.driver_connection`), counted as SQLAlchemy's are."""
    tally = _current.get()
    if tally is None:
        _unattributed.inc()
    else:
        tally.count += 1


@contextlib.contextmanager
def tallied(work: str) -> Iterator[Tally]:
    """Count the statements sent inside the block as `work` (a block inside it counts its own)."""
    tally = Tally(work)
    token = _current.set(tally)
    try:
        yield tally
    finally:
        _current.reset(token)
        if tally.count:
            DB_STATEMENTS.labels(tally.work).inc(tally.count)
