"""What a provider told us about a payment, in one shape whatever the provider."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

ReportKind = Literal["succeeded", "declined", "refunded", "expired", "ignored"]


class BadNotification(Exception):
    """A provider's notification that cannot be trusted or understood: refused, nothing changed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class UnknownReference(BadNotification):
    """A verified notification whose reference is none of our payments' (another shop's, say)."""

    def __init__(self, message: str) -> None:
        super().__init__(404, message)


class ProviderUnavailable(Exception):
    """The provider could not be asked right now (network, 5xx, missing credentials): try later."""


class AnswerKeptUnderKey(ProviderUnavailable):
    """The provider failed and keeps that failure under the request's idempotency key.

    Repeating the request with the same key only repeats the failure, so the next try must
    be a new request (a new link generation, hence a new key).
    """


@dataclass(frozen=True)
class ProviderReport:
    """One provider notification (or status check), verified and decoded.

    `payment_id` is ours when the provider echoes it back; `lookup_reference` is the provider's
    own reference when it does not (a refund names the charge, not our payment).
    """

    kind: ReportKind
    event_id: str
    payment_id: UUID | None = None
    lookup_reference: str | None = None
    amount: Decimal | None = None  # paid, or refunded so far
    currency: str | None = None
    provider_reference: str | None = None
    reason: str | None = None
    session_reference: str | None = None  # which link an expiry is about
    payload: dict[str, Any] | None = None  # what is kept in the provider event log, never card data
