"""The events are public API: every change to them must be additive."""

import copy
import json

import pytest
from contracts import ALL_EVENTS, ALL_TOPICS
from contracts.compat import incompatibilities, schema_of, snapshot_path


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.topic)
def test_event_matches_its_committed_snapshot(event):
    path = snapshot_path(event)
    assert path.exists(), f"no snapshot for {event.topic}: run `python -m contracts.compat` and commit {path.name}"
    assert incompatibilities(json.loads(path.read_text()), schema_of(event)) == []


def test_one_topic_per_event_named_after_it():
    assert ALL_TOPICS[:5] == ("OfferOpened", "OrderCreated", "PaymentLinkIssued", "PaymentSucceeded", "ReminderRequested")
    assert ALL_TOPICS == tuple(event.__name__ for event in ALL_EVENTS)
    assert len(set(ALL_TOPICS)) == len(ALL_TOPICS)


def _order_created() -> dict:
    return json.loads(snapshot_path(ALL_EVENTS[1]).read_text())


def test_the_checker_allows_a_new_optional_field():
    old = _order_created()
    new = copy.deepcopy(old)
    new["properties"]["coupon"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert incompatibilities(old, new) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda s: s["properties"].pop("order_number"), "order_number was removed"),
        (lambda s: s["required"].append("coupon") or s["properties"].update(coupon={"type": "string"}),
         "coupon is newly required"),
        (lambda s: s["properties"].update(order_number={"type": "string"}), "order_number changed"),
        (lambda s: s["$defs"]["ContactData"]["properties"].pop("email"), "contact.email was removed"),
    ],
)
def test_the_checker_catches_breaking_changes(change, expected):
    old = _order_created()
    new = copy.deepcopy(old)
    change(new)
    problems = incompatibilities(old, new)
    assert any(expected in p for p in problems), problems
