"""Who acts on an order: a team member, or the system as the consequence of another service's fact."""

from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from contracts import Event

SYSTEM = "system"

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Actor:
    """Who acts (a user id, or "system" for consequences of events), for which school, in which flow."""

    account_id: UUID
    user: str
    correlation_id: UUID
    causation_id: UUID | None = None

    @classmethod
    def of(cls, event: Event, user: str = SYSTEM) -> "Actor":
        return cls(event.account_id, user, event.correlation_id, event.event_id)

    def event(self, kind: type[E], **payload: Any) -> E:
        return kind(account_id=self.account_id, correlation_id=self.correlation_id, causation_id=self.causation_id,
                    **payload)
