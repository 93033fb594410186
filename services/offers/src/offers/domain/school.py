"""A school's profile: what its contacts see of it (name, language, time zone, where replies go)."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@dataclass(frozen=True)
class SchoolProfile:
    name: str
    default_locale: str = "en"
    time_zone: str | None = None  # None: the deployment's default
    reply_to: str | None = None  # None: replies go to the platform's sender, which nobody reads


def check_time_zone(name: str) -> str:
    """An IANA zone name as the zone database spells it ("Europe/Kyiv"), or ValueError.

    Only names the database lists: ZoneInfo alone would also open "posixrules" or a path-like
    key, and a zone a visitor's email depends on must be one a person can choose."""
    if name not in _zones():
        raise ValueError(f"{name!r} is not a time zone of the IANA database (e.g. Europe/Kyiv, Europe/Warsaw, UTC)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone this system can read") from None
    return name


_ZONES: frozenset[str] = frozenset()


def _zones() -> frozenset[str]:
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return _ZONES
