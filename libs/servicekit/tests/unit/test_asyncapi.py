"""The AsyncAPI document names each event a service consumes and publishes, with the contract's schema.

The app is built, never started: nothing connects, and the document is read from what the
consumers and the publishers declared.
"""

import json
import uuid
from decimal import Decimal
from typing import Any, Literal

import httpx
import pytest
from contracts import Event, dlq_topic
from contracts.compat import schema_of
from fastapi import FastAPI
from pydantic import BaseModel
from servicekit.asyncapi import document, message_payload
from servicekit.messaging import DEAD_LETTER_REASONS, ConsumerGroup, ConsumerMode, consume
from servicekit.outbox import event_headers
from servicekit.runtime import build_app
from servicekit.settings import ServiceSettings


class Room(BaseModel):
    name: str
    seats: int


class LessonBooked(Event):
    """A lesson was booked."""

    event_type: Literal["LessonBooked"] = "LessonBooked"
    lesson_id: uuid.UUID
    room: Room
    price: Decimal

    partition_by = ("lesson_id",)


class LessonMoved(Event):
    """A lesson moved to another room."""

    event_type: Literal["LessonMoved"] = "LessonMoved"
    booking_id: uuid.UUID | None = None
    lesson_id: uuid.UUID
    room: Room

    partition_by = ("booking_id", "lesson_id")


async def _ignore(conn: Any, event: Event) -> None:
    return None


def _app(*, raw_topic: str | None = None, mode: ConsumerMode = "per-topic") -> FastAPI:
    def subscribers(broker, engine, group: ConsumerGroup) -> None:  # noqa: ANN001
        consume(broker, {LessonBooked: _ignore}, engine=engine, group=group, service="lessons")
        if raw_topic is not None:
            # A consumer registered past the kit: nothing says which event it reads.
            broker.subscriber(raw_topic, group_id="raw")(_raw_handler)

    return build_app(name="lessons", settings=ServiceSettings(log_json=False, consumer_mode=mode),
                     subscribers=subscribers, publishes=[LessonMoved])


async def _raw_handler(body: bytes) -> None:
    return None


def _document(app: FastAPI) -> dict[str, Any]:
    return document(app.state.broker, title=app.title, version=app.version)


def _operation(doc: dict[str, Any], action: str, topic: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one operation of `action` on `topic`, and its channel."""
    found = []
    for operation in doc["operations"].values():
        channel = doc["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        if operation["action"] == action and channel["address"] == topic:
            found.append((operation, channel))
    assert len(found) == 1, (action, topic, found)
    return found[0]


def _messages(doc: dict[str, Any], channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]] for ref in channel["messages"].values()]


# The batch consumer is no FastStream subscriber: its topics must be in the document all the same.
MODES = pytest.mark.parametrize("mode", ["per-topic", "batch"])


@MODES
def test_a_consumed_event_carries_the_contracts_schema_its_key_and_its_headers(mode: ConsumerMode) -> None:
    doc = _document(_app(mode=mode))
    operation, channel = _operation(doc, "receive", LessonBooked.topic)
    [message] = _messages(doc, channel)
    assert message["name"] == "LessonBooked" and message["contentType"] == "application/json"
    assert message_payload(doc, message) == schema_of(LessonBooked)
    assert "Room" in doc["components"]["schemas"]  # the nested model, referred to from the payload
    key = message["bindings"]["kafka"]["key"]
    assert key["x-partition-by"] == ["lesson_id"] and key["format"] == "uuid"
    sample = LessonBooked(account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), lesson_id=uuid.uuid4(),
                          room=Room(name="A", seats=3), price=Decimal("1.50"))
    assert set(message["headers"]["properties"]) == set(event_headers(sample))
    assert operation["x-consumer-group"] == (f"lessons.{LessonBooked.topic}" if mode == "per-topic" else "lessons")


@MODES
def test_a_consumed_channel_names_its_dead_letter_topic_which_is_in_the_document(mode: ConsumerMode) -> None:
    doc = _document(_app(mode=mode))
    _, channel = _operation(doc, "receive", LessonBooked.topic)
    assert channel["x-dead-letter-topic"] == dlq_topic(LessonBooked.topic)
    _, parked = _operation(doc, "send", dlq_topic(LessonBooked.topic))
    assert parked["x-dead-letter-of"] == LessonBooked.topic
    [message] = _messages(doc, parked)
    assert message["headers"]["properties"]["x-reason"]["enum"] == list(DEAD_LETTER_REASONS)
    assert message["bindings"]["kafka"]["key"]["x-partition-by"] == ["lesson_id"]


def test_the_batch_consumers_topics_are_the_services_topics() -> None:
    topics = _app(mode="batch").state.topics.names
    assert LessonBooked.topic in topics and dlq_topic(LessonBooked.topic) in topics


def test_a_published_event_carries_the_contracts_schema_and_its_key() -> None:
    doc = _document(_app())
    _, channel = _operation(doc, "send", LessonMoved.topic)
    [message] = _messages(doc, channel)
    assert message_payload(doc, message) == schema_of(LessonMoved)
    key = message["bindings"]["kafka"]["key"]
    assert key["x-partition-by"] == ["booking_id", "lesson_id"] and key["format"] == "uuid"
    assert "booking_id" in key["description"] and "lesson_id" in key["description"]


def test_no_declared_payload_is_bytes_and_a_consumer_past_the_kit_still_is() -> None:
    doc = _document(_app(raw_topic="Undeclared"))
    _, channel = _operation(doc, "receive", "Undeclared")
    [message] = _messages(doc, channel)
    # What the services' document tests refuse: a consumer whose event the document cannot name.
    assert message_payload(doc, message).get("format") == "binary"
    typed = [m for name, m in doc["components"]["messages"].items() if "Undeclared" not in name]
    assert typed and all(message_payload(doc, m).get("format") != "binary" for m in typed)
    # FastStream's binary placeholders of the declared consumers are gone.
    assert not [name for name in doc["components"]["schemas"] if "LessonBooked" in name and name != "LessonBooked"]


async def test_the_service_serves_that_document() -> None:
    app = _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lessons") as client:
        answer = await client.get("/asyncapi.json")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == json.loads(json.dumps(_document(app)))
