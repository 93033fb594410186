"""The envelope every event carries, whatever its payload."""

from datetime import UTC, datetime
from typing import ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event: envelope fields first, the payload in subclasses.

    Consumers ignore fields they do not know, so producers may add optional fields
    without breaking anyone (see the schema snapshot test).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    # One topic per event type, named after it.
    topic: ClassVar[str]
    # The fields whose value keys the event's partition, the first one set: one aggregate's events
    # stay in order within the topic. Data rather than code, so the AsyncAPI document can name it.
    partition_by: ClassVar[tuple[str, ...]] = ()

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str
    schema_version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    account_id: UUID
    correlation_id: UUID
    causation_id: UUID | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.topic = cls.__name__

    def partition_key(self) -> str:
        """The key that keeps one aggregate's events in order within a topic (see `partition_by`)."""
        if not self.partition_by:
            raise NotImplementedError(f"{type(self).__name__} names no partition_by")
        *firsts, last = self.partition_by
        value = next((v for v in (getattr(self, name) for name in firsts) if v), getattr(self, last))
        return str(value)

    @classmethod
    def caused_by(cls, cause: "Event", **payload: object) -> Self:
        """Build an event that follows from `cause`: same account and correlation."""
        return cls(
            account_id=cause.account_id,
            correlation_id=cause.correlation_id,
            causation_id=cause.event_id,
            **payload,
        )
