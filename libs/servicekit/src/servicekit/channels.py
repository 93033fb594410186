"""Which event travels on each topic a service's broker consumes or publishes, as it was declared.

FastStream knows a broker's subscribers and publishers, but not the event on a consumer: the
consumers read raw bytes (messaging.py), so that a message that cannot be read reaches its
dead-letter topic instead of failing in a decoder. The kit records the event type as each
consumer is registered and each published event declared; the AsyncAPI document (asyncapi.py)
is built from this record.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from contracts import Event, dlq_topic
from faststream.kafka import KafkaBroker


@dataclass(frozen=True)
class Consumer:
    """One consumer of a service: the event it applies, its group, where it parks what it cannot."""

    event: type[Event]
    group_id: str
    service: str

    @property
    def dead_letter_topic(self) -> str:
        return dlq_topic(self.event.topic)


@dataclass
class Channels:
    """What a broker consumes and publishes, by topic."""

    consumed: dict[str, Consumer] = field(default_factory=dict)
    published: dict[str, type[Event]] = field(default_factory=dict)


# Weak: a broker built by a test and dropped takes its record with it.
_DECLARED: WeakKeyDictionary[KafkaBroker, Channels] = WeakKeyDictionary()


def channels_of(broker: KafkaBroker) -> Channels:
    """The record of `broker` (empty if nothing was declared on it)."""
    return _DECLARED.setdefault(broker, Channels())


def declare_consumer(broker: KafkaBroker, event: type[Event], *, group_id: str, service: str) -> None:
    channels_of(broker).consumed[event.topic] = Consumer(event, group_id, service)


def declare_publishers(broker: KafkaBroker, service: str, events: Iterable[type[Event]]) -> None:
    """The events `service` adds to its outbox. Declared on the broker too, so that its topics are
    created with the consumed ones (topics.service_topics); the relay does the publishing."""
    for event in events:
        broker.publisher(event.topic, title=f"{service}/{event.topic}", schema=event, description=event.__doc__)
        channels_of(broker).published[event.topic] = event
