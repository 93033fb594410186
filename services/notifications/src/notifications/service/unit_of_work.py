"""What a use case needs from the world: the orders it writes to (with the access states and payment
links it remembers, read and kept in the same step as the order), the schools, the school's
wordings, the deliveries, the idempotency keys and the outbox.

The adapters implement it over one PostgreSQL transaction (adapters/unit_of_work.py); the unit
tests over memory.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from contracts import Event, OrderCreated
from servicekit.idempotency import Idempotent

from ..domain.delivery import Outgoing, Rendered
from ..domain.letters import Letter, Override, Overrides
from ..domain.recipient import AccessState, OrderRecipient, PaymentLink, School


class Recipients(Protocol):
    """The orders this service has heard of (OrderCreated, OrderUpdated), with whom to write to."""

    async def add(self, order: OrderRecipient) -> None:
        """The order as created; a copy arriving after an update (or another account's) changes nothing."""

    async def add_for_email(self, order: OrderRecipient, templates: Sequence[str]) -> tuple[School | None, Overrides]:
        """As add, and in the same step the order's school (Schools.get) and its wordings of `templates`."""

    async def update(self, order_id: UUID, account_id: UUID, changes: dict[str, Any]) -> str | None:
        """The account's order with `changes` (recipient.changed_by), unless it is not here, is another
        account's or a newer version is here already; its status if they were applied."""

    async def get(self, order_id: UUID) -> OrderRecipient | None: ...

    async def for_email(
        self, order_id: UUID, templates: Sequence[str], *, hold: bool = False, link: PaymentLink | None = None
    ) -> tuple[OrderRecipient, Overrides] | None:
        """The order as its school is now (OrderRecipient.at_school), and the school's own wordings of
        `templates`; with `hold`, the order stays as read (shared-locked) to the end of the unit of work;
        `link` kept as PaymentLinks.save keeps it, in the same step. None, and nothing kept, if the
        order is not here."""

    async def take_for_email(
        self, order_id: UUID, templates: Sequence[str], *, link: PaymentLink | None = None
    ) -> tuple[OrderRecipient, Overrides, OrderCreated | None] | None:
        """As for_email with `hold`, and the order's confirmation that waited for its link
        (Confirmations.hold), now taken; None, and nothing taken or kept, if the order is not here."""

    async def for_access_change(
        self, order_id: UUID, account_id: UUID, templates: Sequence[str], line_id: UUID, state: AccessState,
        *, overdue_payment_id: UUID | None = None,
    ) -> tuple[OrderRecipient, Overrides, AccessState | None, str | None] | None:
        """As for_email, and in the same step the line's new access state stored unless a newer one is
        known (the line stays locked to the end of the unit of work), and the link kept for the
        account's overdue payment of this order: the order, its wordings, the line's state known
        before, if any, and that link, if any. None, and nothing stored, if the order is not here."""


class Confirmations(Protocol):
    """Manual orders' confirmations waiting for their payment link."""

    async def hold(self, event: OrderCreated) -> None:
        """Keep the order's confirmation until its link comes (Recipients.take_for_email); the first kept stays."""


class Schools(Protocol):
    async def save(self, school: School, occurred_at: datetime) -> None:
        """The school's profile, unless a newer one (`occurred_at`) is held (read with an order: Recipients)."""


class PaymentLinks(Protocol):
    """The latest web address of each payment (PaymentLinkIssued, ReminderRequested); read and kept
    with the order by an email's event (Recipients)."""

    async def save(self, link: PaymentLink) -> None:
        """The payment's link, unless a newer one is known; a payment never moves to another order or account."""


class Wordings(Protocol):
    """Schools' own subjects and bodies of the templates, per locale."""

    async def get(self, account_id: UUID, template: str, locale: str) -> Override | None: ...

    async def put(self, account_id: UUID, template: str, locale: str, override: Override) -> None: ...

    async def delete(self, account_id: UUID, template: str, locale: str) -> bool:
        """False if the school had no wording of it."""


class Deliveries(Protocol):
    """The emails to send and what became of each; the rows of an outcome (`mark_*`, `settle_*`) carry
    id, account_id, order_id, event_id, correlation_id, template, recipient, locale, subject, attempts,
    last_error, sent_at, status and now (the transaction's time)."""

    async def add(self, letter: Letter, rendered: Rendered, *, cancel_reason: str | None = None) -> UUID | None:
        """Record the email to send (or, with a reason, as cancelled: never to be sent); None if its
        event already produced it for this address. A pending one wakes the sender once committed."""

    async def cancel_unsent(self, account_id: UUID, order_id: UUID, templates: tuple[str, ...], reason: str) -> int:
        """Cancel the order's pending emails of these kinds; how many."""

    async def get(self, account_id: UUID, delivery_id: UUID) -> Any | None:
        """The account's delivery (every column: status, recipient, bodies, cancel_reason, refused, ...)."""

    async def add_resend(self, original: Any, correlation_id: UUID) -> UUID:
        """A new pending delivery repeating the rendered message of `original` (from get)."""

    async def claim_due(self, limit: int, lease: timedelta, *, retry_unconfirmed: bool = False) -> list[Outgoing]:
        """Up to `limit` due deliveries for one try each, the try counted and the row leased."""

    async def renew_leases(self, held: list[tuple[UUID, int]], lease: timedelta) -> int: ...

    async def hand_over(self, tries: list[Outgoing], lease: timedelta) -> set[UUID]:
        """Record these tries' handovers; the ids of those that may hand their message over."""

    async def withdraw_handover(self, tries: list[Outgoing]) -> None: ...

    async def mark_sent(
        self, delivery: Outgoing, *, unconfirmed: str | None = None, cancelled_only: bool = False
    ) -> Any | None:
        """The delivery as sent (with `unconfirmed`, as handed over without the answer seen); None if
        this try no longer decides (or, with `cancelled_only`, if it is not cancelled)."""

    async def mark_sent_many(self, tries: Sequence[Outgoing]) -> list[Any]:
        """As mark_sent for many tries at once: the rows of those the try still decided."""

    async def settle_unconfirmed(self, limit: int, note: str, *, pending_too: bool) -> list[Any]:
        """Handed-over deliveries whose try stopped renewing its lease, counted as sent with `note`:
        the cancelled ones always, the pending ones only with `pending_too`."""

    async def settle_and_claim(
        self, limit: int, lease: timedelta, note: str, *, retry_unconfirmed: bool
    ) -> tuple[list[Any], list[Outgoing]]:
        """settle_unconfirmed (the pending ones too unless `retry_unconfirmed`), then claim_due, in one
        step: the rows settled and the tries claimed."""

    async def mark_failed_try(
        self, delivery: Outgoing, *, error: str, status: str, retry_in: float | None, refused: bool = False
    ) -> Any | None:
        """The delivery after a failed try; None if this try no longer decides. A cancelled one stays so."""


class Idempotency(Protocol):
    async def made_before(self, scope: str, request: Idempotent | None) -> UUID | None:
        """What an earlier request under this key made (servicekit.idempotency); another request under
        it is IdempotencyKeyReused."""

    async def remember(self, scope: str, request: Idempotent | None, resource_id: UUID) -> None: ...


class Outbox(Protocol):
    async def add(self, *events: Event) -> None: ...


class UnitOfWork(Protocol):
    recipients: Recipients
    confirmations: Confirmations
    schools: Schools
    payment_links: PaymentLinks
    wordings: Wordings
    deliveries: Deliveries
    idempotency: Idempotency
    outbox: Outbox
