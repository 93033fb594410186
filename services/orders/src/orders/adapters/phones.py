"""Phone numbers in E.164, whatever way they were typed."""

import phonenumbers


def to_e164(raw: str) -> str:
    """Raises ValueError if the number cannot be a real one (it must carry its country code)."""
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number in international format (+<country code><number>)") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
