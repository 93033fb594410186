"""Dates a manager types without an offset are the school's local ones: the reading rule."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from contracts import AccessTerms
from orders.domain.order import InvalidOrder
from orders.domain.zones import instant, terms_in_zone, zone_named
from orders.settings import Settings
from pydantic import ValidationError

KYIV, NEW_YORK, SANTIAGO = ZoneInfo("Europe/Kyiv"), ZoneInfo("America/New_York"), ZoneInfo("America/Santiago")


def test_a_date_is_the_start_of_that_day_in_the_zone():
    assert instant(date(2026, 12, 5), KYIV) == datetime(2026, 12, 4, 22, tzinfo=UTC)
    assert instant(date(2026, 7, 5), KYIV) == datetime(2026, 7, 4, 21, tzinfo=UTC)  # summer time
    assert instant(date(2026, 12, 5), NEW_YORK) == datetime(2026, 12, 5, 5, tzinfo=UTC)
    assert instant(date(2026, 12, 5), UTC).tzinfo is UTC


def test_a_time_without_an_offset_is_read_in_the_zone_and_one_with_an_offset_is_kept():
    assert instant(datetime(2026, 12, 5, 10), KYIV) == datetime(2026, 12, 5, 8, tzinfo=UTC)
    given = datetime(2026, 12, 5, 10, tzinfo=timezone(timedelta(hours=5)))
    kept = instant(given, KYIV)
    assert kept is given and kept.utcoffset() == timedelta(hours=5)


def test_times_a_clock_change_skips_or_repeats_read_with_the_offset_before_it():
    # Santiago moved its clocks from 00:00 to 01:00 on 6 September 2026: that midnight never was,
    # and the day starts at 01:00 -03, the instant 00:00 -04 names.
    assert instant(date(2026, 9, 6), SANTIAGO) == datetime(2026, 9, 6, 4, tzinfo=UTC)
    # New York skipped 02:00-03:00 on 8 March 2026 and repeated 01:00-02:00 on 1 November.
    assert instant(datetime(2026, 3, 8, 2, 30), NEW_YORK) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert instant(datetime(2026, 11, 1, 1, 30), NEW_YORK) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert instant(datetime(2026, 11, 1, 1, 30, fold=1), NEW_YORK) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus", "America", "../etc/passwd", "posix/../UTC\x00"])
def test_a_school_without_a_readable_zone_reads_the_default(name):
    assert zone_named(name, NEW_YORK) is NEW_YORK


def test_the_end_is_compared_with_the_start_once_both_are_instants():
    from orders.entrypoints.bodies import AccessInput

    # Midnight of 5 December in Kyiv is 22:00 UTC on the 4th: an end an hour later comes after it,
    # though in UTC the same two values would end before they start.
    typed = AccessInput.model_validate({"start": {"kind": "at_date", "at": "2026-12-05"},
                                        "end": {"kind": "at_date", "at": "2026-12-04T23:00:00Z"}})
    terms = terms_in_zone(typed, KYIV)
    assert isinstance(terms, AccessTerms) and terms.start.at == datetime(2026, 12, 4, 22, tzinfo=UTC)
    with pytest.raises(InvalidOrder) as refused:
        terms_in_zone(typed, UTC, at="lines.0.")
    assert refused.value.field == "lines.0.access.end"


def test_an_unreadable_default_zone_stops_the_start():
    with pytest.raises(ValidationError):
        Settings(default_time_zone="Mars/Olympus")
    assert Settings(default_time_zone="Europe/Kyiv").default_time_zone == "Europe/Kyiv"
