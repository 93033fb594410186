"""A school's time zone, by the name its profile gives (SchoolUpdated.time_zone).

One reading for every service that shows or takes a school's dates. A school that named none, or
a name this system's zone database cannot read (a newer tzdata at the school's end, say), reads
the caller's default: the service's own setting, so an order is still taken and an email still
sent.
"""

from datetime import tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Default = TypeVar("Default", bound=tzinfo)


def zone_named(name: str | None, default: Default) -> ZoneInfo | Default:
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, "America"
        return default
