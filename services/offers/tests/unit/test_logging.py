"""What an operator relies on in the log: JSON lines that carry the request's correlation id."""

import json
import logging

from servicekit.logging import JsonFormatter, correlation_id


def test_json_log_lines_carry_the_correlation_id():
    token = correlation_id.set("c-123")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
        line = json.loads(JsonFormatter("offers").format(record))
    finally:
        correlation_id.reset(token)
    assert line["msg"] == "hello there" and line["correlation_id"] == "c-123" and line["service"] == "offers"
