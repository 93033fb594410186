"""Phone numbers in E.164, whatever way they were typed."""

import phonenumbers


def known_region(code: str) -> bool:
    """Whether numbers of this ISO 3166 alpha-2 region can be read (its numbering plan is known)."""
    return code in phonenumbers.SUPPORTED_REGIONS


def to_e164(raw: str, region: str | None = None) -> str:
    """Raises ValueError if the number cannot be a real one. Without a region it must carry its
    country code; with one, a national number of that region is read as such."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        if region is None:
            raise ValueError("not a phone number in international format (+<country code><number>)") from None
        raise ValueError(f"not a phone number, in international format or national for {region}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
