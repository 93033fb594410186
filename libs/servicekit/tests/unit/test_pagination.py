"""Keyset cursors round-trip their values and refuse anything the API did not give out."""

import pytest
from servicekit.pagination import BadCursor, decode_cursor, encode_cursor


def test_a_cursor_carries_its_values_back():
    cursor = encode_cursor("created_at", "desc", "2026-11-23T10:00:00+00:00", "6f1c0000-0000-0000-0000-000000000001")
    assert "=" not in cursor
    assert decode_cursor(cursor, 4) == ["created_at", "desc", "2026-11-23T10:00:00+00:00",
                                        "6f1c0000-0000-0000-0000-000000000001"]


@pytest.mark.parametrize("cursor", ["", "not base64!", "e30", encode_cursor("a", "b", "c"), encode_cursor("a")])
def test_anything_else_is_a_bad_cursor(cursor):
    with pytest.raises(BadCursor):
        decode_cursor(cursor, 2)
