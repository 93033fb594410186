"""Letters put into words: formats, escaping, one-line subjects."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfoNotFoundError

import pytest
from notifications.domain import zones
from notifications.domain.letters import Letter
from notifications.rendering import moment, money, render


def a_letter(**over) -> Letter:
    values = dict(
        template="payment_link", event_id=uuid.uuid4(), account_id=uuid.uuid4(), order_id=uuid.uuid4(),
        correlation_id=uuid.uuid4(), contact_id=uuid.uuid4(), to="olena@example.com", locale="en", school_name="Kyiv Code School", contact_name="Olena", order_number=1042,
        products=("Python course", "SQL basics"), amount=Decimal("1547.36"), currency="UAH", total=Decimal("1547.36"),
        url="https://pay.example/p/1?a=1&b=2", due_at=datetime(2026, 11, 23, 15, 30, tzinfo=UTC),
    )
    return Letter(**(values | over))


def test_money_and_dates_follow_the_locale():
    assert money(Decimal("1547.36"), "UAH", locale="en") == "UAH\xa01,547.36"
    assert money(Decimal("1547.36"), "UAH", locale="uk") == "1\xa0547,36\xa0₴"
    assert money(Decimal("1500"), "JPY", locale="en") == "¥1,500"
    when = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    assert moment(when, locale="en") == "November 23, 2026, 3:30\u202fPM UTC"
    assert moment(when.replace(tzinfo=None), locale="de") == "23. November 2026, 15:30 UTC"


def test_payment_link_email_says_what_to_pay_by_when_and_where():
    rendered = render(a_letter(total=Decimal("3000.00")))
    assert rendered.subject == "Payment for order #1042 at Kyiv Code School"
    for body in (rendered.text, rendered.html):
        assert "UAH\xa01,547.36" in body and "UAH\xa03,000.00" in body
        assert "November 23, 2026" in body
        assert "Python course" in body and "SQL basics" in body
    assert "https://pay.example/p/1?a=1&b=2" in rendered.text
    assert 'href="https://pay.example/p/1?a=1&amp;b=2"' in rendered.html


def test_order_total_is_shown_only_when_it_differs_from_the_payment():
    assert "Order total" not in render(a_letter()).text


def test_html_escapes_what_schools_and_contacts_typed_and_subjects_stay_one_line():
    rendered = render(a_letter(
        school_name="Evil <script>alert(1)</script>\nBcc: x@example.com", contact_name="<b>Olena</b>",
        products=('<img src=x onerror="alert(1)">',),
    ))
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<b>Olena</b>" not in rendered.html and "<img" not in rendered.html
    assert "\n" not in rendered.subject
    assert "<b>Olena</b>" in rendered.text  # plain text is not HTML: nothing to escape


def test_receipt_and_reminder_bodies():
    receipt = render(a_letter(template="receipt", url=None, due_at=None,
                              paid_at=datetime(2026, 11, 20, 9, 5, tzinfo=UTC)))
    assert receipt.subject == "Payment received for order #1042 at Kyiv Code School"
    assert "We have received your payment of UAH\xa01,547.36" in receipt.text
    assert "November 20, 2026" in receipt.html
    overdue = render(a_letter(template="reminder", overdue=True))
    assert overdue.subject.startswith("Payment overdue for order #1042")
    assert "was due on November 23, 2026" in overdue.text
    waiting = render(a_letter(template="reminder", due_at=None))
    assert waiting.subject.startswith("Reminder: payment for order #1042")
    assert "is waiting for you" in waiting.text and "https://pay.example/p/1?a=1&b=2" in waiting.text


def test_a_suspension_for_an_overdue_payment_says_how_much_and_where_to_pay():
    owed = a_letter(template="access_suspended", locale="de", overdue=True, products=("Python course",),
                    amount=Decimal("500.00"), url="https://pay.example/p/1?a=1&b=2")
    rendered = render(owed)
    for body in (rendered.text, rendered.html):
        assert "Überfälliger Betrag: 500,00\xa0UAH" in body
    assert "https://pay.example/p/1?a=1&b=2" in rendered.text
    assert 'href="https://pay.example/p/1?a=1&amp;b=2"' in rendered.html
    no_link = render(a_letter(template="access_suspended", locale="de", overdue=True, amount=Decimal("500.00"),
                              url=None))
    assert "Überfälliger Betrag: 500,00\xa0UAH" in no_link.text and "href" not in no_link.html
    unknown = render(a_letter(template="access_suspended", locale="de", overdue=True, amount=None, url=None))
    assert "Überfälliger Betrag" not in unknown.text and "Zahlung eingegangen ist" in unknown.text


def test_a_letter_shows_its_times_in_its_zone_and_an_unknown_zone_falls_back_to_the_default():
    kyiv = render(a_letter(time_zone="Europe/Kyiv", due_at=datetime(2026, 7, 1, 9, 0, tzinfo=UTC)))
    assert "July 1, 2026, 12:00\u202fPM EEST" in kyiv.text  # summer time
    assert "July 1, 2026, 9:00\u202fAM UTC" in render(a_letter(due_at=datetime(2026, 7, 1, 9, 0, tzinfo=UTC))).text
    assert zones.zone_named("Mars/Olympus") == zones.default_zone() == zones.zone_named(None)
    assert zones.zone_named("America") == zones.default_zone()  # a folder of zones, not a zone
    try:
        zones.use_default("Europe/Warsaw")
        assert zones.zone_named(None).key == "Europe/Warsaw"
        with pytest.raises(ZoneInfoNotFoundError):
            zones.use_default("Mars/Olympus")
    finally:
        zones.use_default("UTC")
