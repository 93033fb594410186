"""A school's time zone: only a name of the IANA database, as a person would pick it."""

import pytest
from offers.domain.school import check_time_zone


@pytest.mark.parametrize("name", ["Europe/Kyiv", "Europe/Warsaw", "UTC", "America/New_York"])
def test_a_zone_of_the_database_is_taken_as_spelled(name):
    assert check_time_zone(name) == name


# ZoneInfo alone opens "posixrules" and path-like keys on many systems; no school is in one.
@pytest.mark.parametrize("name", ["Kyiv", "europe/kyiv", "posixrules", "../../etc/passwd", "Europe/Atlantis", ""])
def test_anything_else_is_refused_with_an_example_of_a_good_one(name):
    with pytest.raises(ValueError, match="Europe/Kyiv"):
        check_time_zone(name)
