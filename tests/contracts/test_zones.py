"""A school's zone by name, as orders and notifications both read it: the caller's default for
a school that named none or a name the zone database cannot read."""

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from contracts import zone_named

KYIV = ZoneInfo("Europe/Kyiv")


def test_a_known_name_is_its_zone():
    assert zone_named("America/New_York", KYIV) == ZoneInfo("America/New_York")


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus", "America", "../etc/passwd"])
def test_no_name_or_one_that_cannot_be_read_is_the_default(name):
    assert zone_named(name, KYIV) is KYIV
    assert zone_named(name, UTC) is UTC
