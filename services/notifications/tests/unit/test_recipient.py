"""An order's recipient as the events built it, and the school's current profile over it."""

import uuid
from decimal import Decimal

from notifications.domain.recipient import OrderRecipient, School


def recipient(**changes: object) -> OrderRecipient:
    base = dict(order_id=uuid.uuid4(), account_id=uuid.uuid4(), order_number=7, school_name="Old Name",
                contact_name="Olena", contact_email="olena@example.com", locale="uk", currency="UAH",
                total=Decimal("1500.00"), products=("Python",), school_locale="en")
    return OrderRecipient(**{**base, **changes})  # type: ignore[arg-type]


def test_the_schools_current_name_zone_and_reply_address_win_over_the_orders_copy():
    order = recipient()
    school = School(account_id=order.account_id, name="Kyiv Code School", default_locale="uk",
                    time_zone="Europe/Kyiv", reply_to="office@school.example")
    seen = order.at_school(school)
    assert (seen.school_name, seen.school_locale, seen.time_zone, seen.reply_to) == (
        "Kyiv Code School", "uk", "Europe/Kyiv", "office@school.example")
    # What is the contact's own stays the contact's.
    assert (seen.contact_email, seen.locale, seen.total) == ("olena@example.com", "uk", Decimal("1500.00"))


def test_a_school_that_names_no_language_keeps_the_one_the_order_came_with():
    order = recipient(school_locale="de")
    school = School(account_id=order.account_id, name="S", default_locale=None)
    assert order.at_school(school).school_locale == "de"


def test_without_a_profile_the_order_is_shown_as_it_came():
    order = recipient()
    assert order.at_school(None) is order
