"""Access windows from terms and payments: calendar arithmetic, month ends, leap years, states."""

from datetime import UTC, datetime, timedelta

import pytest
from contracts import AccessEnd, AccessStart, AccessTerms, Period
from hypothesis import given
from hypothesis import strategies as st
from orders.domain.access import AccessWindow, access_window, add_period

PAID = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC))


def months(n: int) -> Period:
    return Period(unit="months", count=n)


def days(n: int) -> Period:
    return Period(unit="days", count=n)


@pytest.mark.parametrize(
    "start, period, expected",
    [
        (datetime(2026, 1, 31, tzinfo=UTC), months(1), datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), months(1), datetime(2028, 2, 29, tzinfo=UTC)),  # leap year
        (datetime(2028, 2, 29, tzinfo=UTC), months(12), datetime(2029, 2, 28, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), months(1), datetime(2026, 4, 30, tzinfo=UTC)),
        (datetime(2026, 11, 15, 8, 30, tzinfo=UTC), months(3), datetime(2027, 2, 15, 8, 30, tzinfo=UTC)),
        (datetime(2026, 12, 31, tzinfo=UTC), months(2), datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2028, 2, 28, tzinfo=UTC), days(1), datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 2, 28, tzinfo=UTC), days(1), datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_periods_follow_the_calendar(start, period, expected):
    assert add_period(start, period) == expected


@given(moments, st.integers(min_value=1, max_value=120))
def test_a_month_period_lands_in_the_right_month_never_overshooting_its_end(moment, n):
    later = add_period(moment, months(n))
    assert (later.year * 12 + later.month) - (moment.year * 12 + moment.month) == n
    assert later.day == moment.day or (later.day < moment.day and (later + timedelta(days=1)).day == 1)
    assert later.time() == moment.time() and later.tzinfo == moment.tzinfo


@given(moments, st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=60))
def test_month_periods_never_go_backwards_and_grow_with_the_count(moment, a, b):
    assert add_period(moment, months(a)) > moment
    if a < b:
        assert add_period(moment, months(a)) <= add_period(moment, months(b))


@given(moments, st.integers(min_value=1, max_value=3650))
def test_day_periods_are_exact(moment, n):
    assert add_period(moment, days(n)) - moment == timedelta(days=n)


def test_nothing_is_granted_before_a_payment():
    assert access_window(AccessTerms(), first_paid_at=None, now=PAID) is None


def test_default_terms_open_at_payment_for_ever():
    assert access_window(AccessTerms(), first_paid_at=PAID, now=PAID) == AccessWindow("open", PAID, None)


def test_start_after_a_period_is_scheduled_until_then():
    terms = AccessTerms(start=AccessStart(kind="after_period", period=days(7)),
                        end=AccessEnd(kind="after_period", period=months(1)))
    window = access_window(terms, first_paid_at=PAID, now=PAID)
    assert window == AccessWindow("scheduled", PAID + timedelta(days=7), datetime(2026, 3, 7, 10, 0, tzinfo=UTC))
    assert access_window(terms, first_paid_at=PAID, now=PAID + timedelta(days=7)).status == "open"
    assert access_window(terms, first_paid_at=PAID, now=datetime(2026, 3, 7, 10, 0, tzinfo=UTC)).status == "ended"


def test_a_fixed_start_waits_for_its_date_but_not_before_payment():
    cohort = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    terms = AccessTerms(start=AccessStart(kind="at_date", at=cohort), end=AccessEnd(kind="after_period", period=months(2)))
    early = access_window(terms, first_paid_at=PAID, now=PAID)
    assert early == AccessWindow("scheduled", cohort, datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
    late_payment = datetime(2026, 3, 10, tzinfo=UTC)
    late = access_window(terms, first_paid_at=late_payment, now=late_payment)
    assert late == AccessWindow("open", late_payment, datetime(2026, 5, 10, tzinfo=UTC))


def test_a_fixed_end_already_past_gives_an_ended_window_not_a_negative_one():
    terms = AccessTerms(end=AccessEnd(kind="at_date", at=PAID - timedelta(days=1)))
    assert access_window(terms, first_paid_at=PAID, now=PAID) == AccessWindow("ended", PAID, PAID)


def test_suspension_and_revocation_override_an_open_window_but_an_ended_one_stays_ended():
    terms = AccessTerms(end=AccessEnd(kind="after_period", period=days(30)))
    assert access_window(terms, first_paid_at=PAID, now=PAID, suspended=True).status == "suspended"
    assert access_window(terms, first_paid_at=PAID, now=PAID, suspended=True, revoked=True).status == "revoked"
    after = PAID + timedelta(days=31)
    assert access_window(terms, first_paid_at=PAID, now=after, suspended=True).status == "ended"


@given(moments, moments, st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=400))
def test_a_window_never_starts_before_payment_nor_ends_before_it_starts(paid, now, start_days, length):
    terms = AccessTerms(start=AccessStart(kind="after_period", period=days(start_days)) if start_days else AccessStart(),
                        end=AccessEnd(kind="after_period", period=months(length)))
    window = access_window(terms, first_paid_at=paid, now=now)
    assert window is not None and window.starts_at is not None and window.ends_at is not None
    assert paid <= window.starts_at < window.ends_at
    expected = "scheduled" if now < window.starts_at else "ended" if now >= window.ends_at else "open"
    assert window.status == expected


def test_the_terms_refuse_an_end_before_the_start():
    with pytest.raises(ValueError, match="end.at must be after start.at"):
        AccessTerms(start=AccessStart(kind="at_date", at=PAID), end=AccessEnd(kind="at_date", at=PAID))
    with pytest.raises(ValueError, match="start.period is required"):
        AccessStart(kind="after_period")
