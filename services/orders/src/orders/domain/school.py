"""The school as the other services describe it, and its own CRM settings, as the use cases read them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SchoolProfile:
    name: str | None = None
    locale: str | None = None
    time_zone: str | None = None  # an IANA zone, as the school named it (domain.zones reads it)
    phone_region: str | None = None  # ISO 3166 alpha-2: numbers typed without a country code are of it
