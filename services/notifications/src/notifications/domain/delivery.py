"""A delivery: one rendered email to one address, and what happens after each try."""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

Status = Literal["pending", "sent", "failed", "cancelled"]
# Why a delivery was cancelled before it went out: what cancel_reason gives for a closed order
# (contracts' OrderStatus other than "active").
CancelReason = Literal["order_cancelled", "order_expired"]

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
    # The server refused the address or the message for good: trying that address again is a choice.
    refused: bool = False


def after_failure(attempts: int, *, permanent: bool, policy: RetryPolicy) -> AfterFailure:
    """A refusal for good ends the delivery; anything else is tried again later, within limits."""
    if permanent:
        return AfterFailure("failed", None, refused=True)
    if attempts >= policy.max_attempts:
        return AfterFailure("failed", None)
    return AfterFailure("pending", policy.delay(attempts))


@dataclass(frozen=True)
class Logged:
    """A delivery as its log tells it, as much as deciding on a resend needs."""

    status: Status
    recipient: str
    cancel_reason: str | None = None
    refused: bool = False
    last_error: str | None = None


class NotResendable(Exception):
    """This delivery cannot be sent again as asked; `facts` go with the answer, for the caller to act on."""

    def __init__(self, title: str, detail: str, **facts: str | None) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail
        self.facts = facts


def check_resend(delivery: Logged, *, to_refused_address: bool) -> None:
    """Raise NotResendable unless the delivery may be sent again now."""
    if delivery.status == "pending":
        raise NotResendable("Still being sent", "this email has not been sent or given up on yet; wait for it")
    if delivery.status == "cancelled":
        raise NotResendable("Cancelled", f"this email was never sent: {delivery.cancel_reason}")
    if delivery.refused and not to_refused_address:
        # A bounce repeated blindly hurts the platform's sending reputation and still reaches nobody:
        # the manager fixes the address, or says the server has changed its mind.
        raise NotResendable(
            "Refused by the mail server",
            f"the mail server refused the email to {delivery.recipient} for good: {delivery.last_error}; "
            "correct the contact's address, or pass to_refused_address=true to send to it anyway",
            recipient=delivery.recipient, refusal=delivery.last_error,
        )


# What the log says of a try that handed its message over (the end of the data was sent, or about
# to be) and never saw the server's answer. The server most likely took it (RFC 5321 makes it
# responsible from its "250" on), so unless it drops repeats (an idempotency key it honours) the
# delivery counts as sent: at most once for that short window, rather than a second copy.
UNCONFIRMED = "handed over to the mail server, whose answer was not seen; not sent again"

