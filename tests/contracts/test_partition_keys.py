"""Each event names the fields that key its partition, and its key is made of them alone.

The key is data (`partition_by`) rather than a method per event, so the AsyncAPI documents can
say which field keys each topic; an event overriding `partition_key` would make them lie.
"""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from contracts import ALL_EVENTS, Event, NotificationSent


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.topic)
def test_the_key_is_named_by_fields_of_the_event(event: type[Event]) -> None:
    assert event.partition_by, f"{event.topic} names no partition_by"
    assert set(event.partition_by) <= set(event.model_fields)
    assert event.partition_key is Event.partition_key, f"{event.topic} computes its key itself"


def test_the_first_field_that_is_set_keys_the_partition() -> None:
    delivery, order = uuid4(), uuid4()
    sent = dict(account_id=uuid4(), correlation_id=uuid4(), delivery_id=delivery, template="receipt",
                recipient="a@example.com", locale="en", subject="Receipt", attempts=1, sent_at=datetime.now(UTC))
    assert NotificationSent.partition_by == ("order_id", "delivery_id")
    assert NotificationSent(**sent).partition_key() == str(delivery)
    assert NotificationSent(order_id=order, **sent).partition_key() == str(order)
