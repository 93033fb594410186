"""A delivery: one rendered email to one address, and what happens after each try."""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

Status = Literal["pending", "sent", "failed", "cancelled"]

# Emails that ask the contact to pay: pointless, even misleading, once the order is closed.
ASKS_TO_PAY: tuple[str, ...] = ("payment_link", "reminder")


def cancel_reason(order_status: str) -> str | None:
    """Why emails asking to pay for an order in this state must not go out; None while it is open."""
    return None if order_status == "active" else f"order_{order_status}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Outgoing:
    """A delivery claimed for one try; `attempts` already counts this try."""

    id: UUID
    recipient: str
    subject: str
    text_body: str
    html_body: str
    attempts: int
    # Who the contact sees it from: the school's name and where its replies go (None: the platform's).
    sender_name: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    first: float = 5.0
    cap: float = 900.0
    max_attempts: int = 30

    def delay(self, attempts: int) -> float:
        return min(self.first * 2 ** max(attempts - 1, 0), self.cap)


@dataclass(frozen=True)
class AfterFailure:
    status: Status
    retry_in: float | None


def after_failure(attempts: int, *, permanent: bool, policy: RetryPolicy) -> AfterFailure:
    """A refusal for good ends the delivery; anything else is tried again later, within limits."""
    if permanent or attempts >= policy.max_attempts:
        return AfterFailure("failed", None)
    return AfterFailure("pending", policy.delay(attempts))


# What the log says of a try that handed its message over (the end of the data was sent, or about
# to be) and never saw the server's answer. The server most likely took it (RFC 5321 makes it
# responsible from its "250" on), so unless it drops repeats (an idempotency key it honours) the
# delivery counts as sent: at most once for that short window, rather than a second copy.
UNCONFIRMED = "handed over to the mail server, whose answer was not seen; not sent again"

