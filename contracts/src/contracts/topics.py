"""Topic names: one per event type, named after it. The only place a topic string is built."""

from .envelope import Event
from .events import ALL_EVENTS

ALL_TOPICS: tuple[str, ...] = tuple(event.topic for event in ALL_EVENTS)


def dlq_topic(topic: str) -> str:
    """Where a message that can never succeed on `topic` is parked, with its error."""
    return f"{topic}.dlq"


def topic_of(event: type[Event] | Event) -> str:
    return event.topic
