"""The time zone a school's contacts read their dates in.

A school names its zone in its profile (SchoolUpdated); a school that named none reads the
deployment's default (NOTIFICATIONS_DEFAULT_TIME_ZONE), set once at start. A zone this system's
database does not know (a newer tzdata at the school's end, say) falls back to the default
rather than losing the email.
"""

from zoneinfo import ZoneInfo

from contracts import zone_named as shared_zone_named

_default = ZoneInfo("UTC")


def use_default(name: str) -> None:
    """Called once by the wiring with the deployment's setting; an unknown name stops the start."""
    global _default
    _default = ZoneInfo(name)


def default_zone() -> ZoneInfo:
    return _default


def zone_named(name: str | None) -> ZoneInfo:
    """The reading every service shares (contracts.zones), with this deployment's default."""
    return shared_zone_named(name, _default)
