"""Letters of every kind in every locale, in the cases that write differently: currencies with 0, 2
and 3-decimal amounts (JPY, UAH, USD, EUR, PLN), zero and large amounts, plural counts (days left,
products), instalments paid, due and due now, overdue reminders, suspensions with and without the
amount and the link, zones in and out of summer time, names that need escaping or encoded words.

Shared by the render bench (render_cost.py) and the test that holds every letter's bytes still
(tests/unit/test_rendered_bytes.py): the same letters are what is measured and what is checked.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from notifications.domain.delivery import Outgoing, Rendered
from notifications.domain.letters import SUPPORTED_LOCALES, TEMPLATES, Installment, Letter, Line

WINTER = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
SUMMER = datetime(2026, 7, 4, 9, 5, tzinfo=UTC)

# (currency, amount, total, zone, when, days_left, school, contact, products)
_CASES: tuple[tuple[str, Decimal, Decimal, str, datetime, int | None, str, str, tuple[str, ...]], ...] = (
    ("UAH", Decimal("1547.36"), Decimal("3094.72"), "Europe/Kyiv", WINTER, 3,
     "Kyiv Code School", "Olena", ("Python course", "SQL basics")),
    ("USD", Decimal("1500.00"), Decimal("1500.00"), "America/New_York", SUMMER, 0,
     "Київська школа коду", "Олена", ("Курс",)),
    ("EUR", Decimal("10"), Decimal("10.00"), "UTC", WINTER, None,
     'School "A&B" <Tags>', "Jean-Luc O'Neil", ("Français <débutant>", "B & C", "Third")),
    ("JPY", Decimal("150000"), Decimal("450000"), "Asia/Tokyo", SUMMER, 1,
     "Школа", "Łukasz Żółć", ("Go",)),
    ("PLN", Decimal("0.00"), Decimal("2500.50"), "Europe/Warsaw", WINTER, 21,
     "Szkoła Programowania Żółw", "Zoë", ("Kurs", "Warsztaty", "Mentoring", "Egzamin", "Certyfikat")),
    ("UAH", Decimal("1234567.89"), Decimal("9876543.21"), "Europe/Kyiv", SUMMER, 5,
     "A school with a rather long name that makes every subject line fold over more than one line",
     "Анна-Марія Шевченко-Коваленко", ("Frontend", "Backend")),
    ("EUR", Decimal("99.995"), Decimal("199.99"), "Europe/Berlin", SUMMER, 2,
     "Schule für Ärzte & Ingenieure", "Jürgen", ("Grundkurs",)),
    ("USD", Decimal("0.01"), Decimal("1000000.00"), "Europe/London", WINTER, 1000000,
     "Écoles.fr", "Ана", ("Un", "Deux")),
)


def _installments(case: int, when: datetime, amount: Decimal) -> tuple[Installment, ...]:
    if case % 3 == 0:
        return ()
    plan = [Installment(amount, None, when - timedelta(days=3)), Installment(amount, when, None),
            Installment(amount + Decimal("0.5"), None, None)]
    return tuple(plan[: 1 + case % 3])


def letters() -> Iterator[tuple[str, Letter]]:
    """(a name that says which letter, the letter), every kind × every locale × every case."""
    for template in TEMPLATES:
        for locale in SUPPORTED_LOCALES:
            for case, (currency, amount, total, zone, when, days, school, contact, products) in enumerate(_CASES):
                access = template in ("access_opened", "access_suspended")
                suspended_amount = template == "access_suspended" and case % 4 != 2
                owed = amount if not access or suspended_amount else None
                if template == "order_confirmation" and case == 3:
                    owed = None  # everything paid: no amount still to pay
                url = None
                if template in ("payment_link", "reminder") or (
                        template in ("access_suspended", "order_confirmation") and case % 2 == 0):
                    url = f"https://pay.example/p/{case}?a=1&b=<2>"
                letter = Letter(
                    template=template, event_id=UUID(int=case + 1), account_id=UUID(int=2), order_id=UUID(int=3),
                    correlation_id=UUID(int=4), contact_id=UUID(int=5) if case % 2 else None,
                    to=f"contact{case}@example.com", locale=locale, school_name=school, contact_name=contact,
                    order_number=1000 + case, products=products[:1] if access else products,
                    currency=currency, total=total, amount=owed, url=url,
                    due_at=None if case == 2 else when + timedelta(days=days or 0),
                    days_left=days, paid_at=when, overdue=case in (2, 5),
                    starts_at=when, ends_at=None if case % 3 == 1 else when + timedelta(days=90),
                    lines=tuple(Line(title, amount + i) for i, title in enumerate(products)),
                    installments=_installments(case, when, amount),
                    time_zone=zone, reply_to=f"office{case}@school.example" if case % 2 else None,
                )
                yield f"{template}/{locale}/{case}", letter


def outgoing(letter: Letter, rendered: Rendered) -> Outgoing:
    """The delivery the sender composes from a rendered letter (its id fixed by the letter)."""
    return Outgoing(
        id=letter.event_id, recipient=letter.to, subject=rendered.subject, text_body=rendered.text,
        html_body=rendered.html, attempts=1, sender_name=letter.school_name, reply_to=letter.reply_to,
    )
