"""The rules for what a request may carry, on their own (the fault suite checks them through the services)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from contracts import AccessTerms, Amount
from pydantic import Field, TypeAdapter, ValidationError
from servicekit.inputs import INT32_MAX, Input, Name, language_of, text_fault


class Line(Input):
    title: Name = Field(max_length=20)
    price: Amount
    tags: list[str] = []
    access: AccessTerms = AccessTerms()


class Order(Input):
    lines: list[Line]
    version: int | None = None
    due_at: datetime | None = None
    note: str | None = None


def fault(**body) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        Order.model_validate(body)
    [error] = caught.value.errors()
    return ".".join(map(str, error["loc"])), error["msg"]


LINE = {"title": "Course", "price": "10.00"}


@pytest.mark.parametrize("text, taken", [
    ("plain", True), ("Olena Ковальчук", True), ("two\nlines\tand\r\n", True), ("", True),
    ("nul\x00", False), ("bell\x07", False), ("esc\x1b[31m", False), ("del\x7f", False), ("c1\x85", False),
    ("lone \ud800", False),
])
def test_text(text, taken):
    assert (text_fault(text) is None) is taken


def test_paths_and_queries_take_no_line_breaks():
    assert text_fault("a\nb", lines=False) is not None and text_fault("a\tb", lines=False) is not None


def test_each_field_is_checked_with_where_it_lies():
    assert fault(lines=[LINE], note="x\x00") == ("note", "Value error, must not contain a NUL character")
    assert fault(lines=[{**LINE, "tags": ["ok", "b\x00d"]}])[0] == "lines.0.tags"
    assert fault(lines=[LINE], version=INT32_MAX + 1)[0] == "version"
    assert fault(lines=[LINE], due_at="9999-12-31T00:00:00+00:00")[0] == "due_at"
    # A contracts model inside the body has no rules of its own: its text is checked all the same.
    where, message = fault(lines=[{**LINE, "access": {"certificate_conditions": "a\x00"}}])
    assert where == "lines.0.access" and "certificate_conditions" in message


def test_names_are_stripped_and_never_blank():
    assert Order.model_validate({"lines": [{**LINE, "title": "  Course  "}]}).lines[0].title == "Course"
    assert fault(lines=[{**LINE, "title": " \t "}])[0] == "lines.0.title"


@pytest.mark.parametrize("written", ["1e3", "1E3", "NaN", "Infinity", " 10", "10.", ".5", "+5", "1_000", "1,5"])
def test_an_amount_is_written_plainly(written):
    assert fault(lines=[{**LINE, "price": written}])[0] == "lines.0.price"


def test_an_amount_fits_every_money_column():
    amounts = TypeAdapter(Amount)
    assert amounts.validate_python("999999999999.9999") == Decimal("999999999999.9999")
    assert amounts.validate_python("-999999999999.99") == Decimal("-999999999999.99")
    for beyond in ("1000000000000", "99999999999999999999999.99", 10**13):
        with pytest.raises(ValidationError):
            amounts.validate_python(beyond)


def test_what_is_within_the_rules_is_taken_as_sent():
    order = Order.model_validate({"lines": [LINE], "version": INT32_MAX, "due_at": "2999-01-01T00:00:00Z",
                                  "note": "call\tafter 5\n"})
    assert (order.version, order.note) == (INT32_MAX, "call\tafter 5\n")
    assert order.due_at == datetime(2999, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("tag, language", [
    ("uk", "uk"), ("uk-UA", "uk"), ("uk_UA", "uk"), ("UK-ua", "uk"), ("uk_UA.UTF-8", "uk"), ("sr_RS@latin", "sr"),
    ("zh-Hant-TW", "zh"), ("en-US-u-ca-gregory", "en"), (" pl ", "pl"), ("fil-PH", "fil"),
])
def test_a_language_tag_in_either_form_is_read_as_its_language(tag, language):
    assert language_of(tag) == language


@pytest.mark.parametrize("tag", ["", "u", "ukrainian", "uk--UA", "12", "uk-UA-", "../etc", "uk UA", "x" * 70])
def test_anything_else_is_not_a_language(tag):
    with pytest.raises(ValueError):
        language_of(tag)
