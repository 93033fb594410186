"""A table of due work used as a queue: each row is leased to one worker at a time.

A row is due when its due time has come. Claiming takes up to `limit` due rows, oldest due
first, skipping rows another worker is claiming (FOR UPDATE SKIP LOCKED), and in the same
statement counts the try and pushes the due time one lease ahead, so nobody else takes them
until the lease ends. A worker that dies leaves its rows to come back by themselves when their
lease runs out; one that lives renews the lease of what it still holds (leases.LeaseKeeper).

The try's number (the attempts column after the claim) fences the try: renewing, and every
later write of the try, names the row with it, so a try whose lease ran out and whose row
another try took can no longer touch it.

The kit builds the statements; a service's adapter runs them and reads what they return.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, Update, func, select, tuple_, update


@dataclass(frozen=True)
class LeasedQueue:
    table: Table
    key: tuple[Column[Any], ...]
    due: Column[Any]  # when the row is next due; a lease pushes it ahead
    attempts: Column[Any]  # the tries so far; a claim counts one, and its number fences the try

    def _keyed(self, rows: Any) -> ColumnElement[bool]:
        if len(self.key) == 1:
            return self.key[0].in_(rows)
        return tuple_(*self.key).in_(rows)

    def claim(
        self, *, limit: int, lease: timedelta, where: Sequence[ColumnElement[bool]] = (),
        values: Mapping[Column[Any], Any] | None = None, returning: Sequence[Column[Any]] = (),
    ) -> Update:
        """Lease up to `limit` due rows that also meet `where`; `values` are set on them as well."""
        due = (
            select(*self.key).where(self.due <= func.now(), *where)
            .order_by(self.due).limit(limit).with_for_update(skip_locked=True)
        )
        return (
            update(self.table).where(self._keyed(due))
            .values({self.attempts: self.attempts + 1, self.due: func.now() + lease, **(values or {})})
            .returning(*returning)
        )

    def renew(self, held: Sequence[tuple[Any, ...]], lease: timedelta,
              where: Sequence[ColumnElement[bool]] = ()) -> Update:
        """Push one lease ahead the rows still held, each named by its key and its try's number."""
        return (
            update(self.table).where(tuple_(*self.key, self.attempts).in_(held), *where)
            .values({self.due: func.now() + lease})
        )
