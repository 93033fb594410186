"""The school's time zone, and what a date or a time typed without an offset means in it.

A manager types dates as the school lives them: an access start of "2026-12-05" for a school in
Kyiv is the start of that day in Kyiv, not in UTC. So a value typed into the orders API is read:

- a date alone (YYYY-MM-DD): midnight at the start of that day in the school's zone;
- a date-time without an offset: that wall-clock time in the school's zone;
- a date-time with an offset (or Z): the instant it names, kept as given.

A wall-clock time the zone skips (clocks jump forward over it) or names twice (clocks go back)
is read with the offset in force just before the change (fold 0), so the answer never depends on
luck: a skipped midnight is the first instant of that day, and a repeated hour is its first pass.

The zone is the one the school's profile names (SchoolUpdated). A school that named none, or a
name this system's zone database cannot read (a newer database at the school's end, say), reads
the deployment's default (ORDERS_DEFAULT_TIME_ZONE): the order is still taken, as notifications
still sends the email.
"""

from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

# zone_named is the reading every service shares (contracts.zones); the use cases take it from
# here, with the default the wiring gives them.
from contracts import AccessTerms, zone_named

from .order import InvalidOrder

__all__ = ["instant", "terms_in_zone", "zone_named"]


def instant(value: date | datetime, zone: tzinfo) -> datetime:
    """The aware instant a typed value names, read in `zone` when it carries no offset of its own."""
    if isinstance(value, datetime):
        if value.utcoffset() is not None:
            return value
        return value.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return datetime.combine(value, time(), tzinfo=zone).astimezone(UTC)


def terms_in_zone(typed: Any, zone: tzinfo, *, at: str = "") -> AccessTerms:
    """Access terms as typed (their dates possibly local) as the contract's AccessTerms, with instants.

    Whether the end comes after the start can only be told once both are instants, so that is
    checked here; InvalidOrder names the field (`at` prefixes it, e.g. "lines.0.")."""
    values = typed.model_dump()
    for side in ("start", "end"):
        if values[side].get("at") is not None:
            values[side]["at"] = instant(values[side]["at"], zone)
    start, end = values["start"], values["end"]
    if start["kind"] == end["kind"] == "at_date" and end["at"] <= start["at"]:
        raise InvalidOrder(f"{at}access.end", "end.at must be after start.at")
    return AccessTerms.model_validate(values)
