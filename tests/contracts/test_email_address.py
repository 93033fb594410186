"""The contracts' email type takes and refuses exactly what pydantic's EmailStr does, and checks an
address once however many events and bodies carry it."""

import pytest
from contracts import ContactData, EmailAddress
from contracts.emails import normalized_email
from pydantic import EmailStr, TypeAdapter, ValidationError

OURS = TypeAdapter(EmailAddress)
PYDANTIC = TypeAdapter(EmailStr)

CASES = [
    "Ann@EXAMPLE.com", " padded@example.org ", "Ann Smith <ann@example.com>", "ä@ü.de", "user+tag@sub.example.co.uk",
    "no-at-sign", "two@@example.com", "a@b", "trailing.dot.@example.com", "line\nbreak@example.com", "", "x" * 2100,
    "@example.com", "ann@[127.0.0.1]", 5, None, b"ann@example.com",
]


def _outcome(adapter: TypeAdapter, value: object) -> tuple[str, object]:
    try:
        return "ok", adapter.validate_python(value)
    except ValidationError as exc:
        return "error", [(e["type"], e["msg"]) for e in exc.errors()]


@pytest.mark.parametrize("value", CASES, ids=range(len(CASES)))
def test_it_takes_and_refuses_what_email_str_does(value: object) -> None:
    assert _outcome(OURS, value) == _outcome(PYDANTIC, value)


@pytest.mark.parametrize("value", CASES[:6], ids=range(6))
def test_from_json_too(value: str) -> None:
    body = TypeAdapter(str).dump_json(value)
    assert _outcome_json(OURS, body) == _outcome_json(PYDANTIC, body)


def _outcome_json(adapter: TypeAdapter, body: bytes) -> tuple[str, object]:
    try:
        return "ok", adapter.validate_json(body)
    except ValidationError as exc:
        return "error", [(e["type"], e["msg"]) for e in exc.errors()]


def test_the_schema_is_email_strs() -> None:
    assert OURS.json_schema() == PYDANTIC.json_schema() == {"type": "string", "format": "email"}


def test_an_address_is_checked_once_an_invalid_one_every_time() -> None:
    normalized_email.cache_clear()
    for _ in range(5):
        ContactData(name="Ann", email="Ann@Example.com")
    info = normalized_email.cache_info()
    assert (info.misses, info.hits) == (1, 4)
    for _ in range(3):
        with pytest.raises(ValidationError):
            ContactData(name="Ann", email="not an address")
    assert normalized_email.cache_info().misses == 4  # refused each time, never kept
    assert normalized_email.cache_info().currsize == 1
