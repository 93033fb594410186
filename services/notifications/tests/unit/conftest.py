"""An in-memory unit of work, so notifications' use cases run without a database; and the events
of a purchase to feed them.

Each store keeps the rules its SQL keeps (adapters/repository.py): which copy wins, what is unique,
which try still decides a delivery; the integration tests check the SQL itself.
"""

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contracts import (
    AccessChanged, ContactData, OrderCreated, OrderLine, OrderUpdated, PaymentLinkIssued, PaymentSucceeded,
    PlannedPayment, ReminderRequested, SchoolUpdated,
)
from notifications.domain.delivery import Outgoing, Rendered
from notifications.domain.letters import Letter, Override, Overrides
from notifications.domain.recipient import AccessState, OrderRecipient, PaymentLink, School
from servicekit.testing import MemoryIdempotency, MemoryOutbox


WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    """The database's now(): moved by the tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def pass_(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class MemoryConfirmations:
    held: dict[uuid.UUID, OrderCreated] = field(default_factory=dict)

    async def hold(self, event: OrderCreated) -> None:
        self.held.setdefault(event.order_id, event)


@dataclass
class MemorySchools:
    saved: dict[uuid.UUID, tuple[School, datetime]] = field(default_factory=dict)

    async def save(self, school: School, occurred_at: datetime) -> None:
        known = self.saved.get(school.account_id)
        if known is None or known[1] <= occurred_at:
            self.saved[school.account_id] = (school, occurred_at)

    async def get(self, account_id: uuid.UUID) -> School | None:
        known = self.saved.get(account_id)
        return None if known is None else known[0]


@dataclass
class MemoryWordings:
    saved: dict[tuple[uuid.UUID, str, str], Override] = field(default_factory=dict)

    async def get(self, account_id: uuid.UUID, template: str, locale: str) -> Override | None:
        return self.saved.get((account_id, template, locale))

    async def put(self, account_id: uuid.UUID, template: str, locale: str, override: Override) -> None:
        self.saved[(account_id, template, locale)] = override

    async def delete(self, account_id: uuid.UUID, template: str, locale: str) -> bool:
        return self.saved.pop((account_id, template, locale), None) is not None

    def of(self, account_id: uuid.UUID, templates: Sequence[str]) -> Overrides:
        return {(t, locale): o for (a, t, locale), o in self.saved.items() if a == account_id and t in templates}


class MemoryRecipients:
    def __init__(self, schools: MemorySchools, wordings: MemoryWordings, confirmations: MemoryConfirmations,
                 access_states: "MemoryAccessStates", payment_links: "MemoryPaymentLinks") -> None:
        self.saved: dict[uuid.UUID, OrderRecipient] = {}
        self.schools = schools
        self.wordings = wordings
        self.confirmations = confirmations
        self.access_states = access_states
        self.payment_links = payment_links
        self.held: set[uuid.UUID] = set()  # the orders read shared-locked by this unit of work

    async def add(self, order: OrderRecipient) -> None:
        known = self.saved.get(order.order_id)
        if known is None or (known.account_id == order.account_id and known.order_version == 0):
            self.saved[order.order_id] = order

    async def add_for_email(self, order: OrderRecipient, templates: Sequence[str]) -> tuple[School | None, Overrides]:
        await self.add(order)
        return await self.schools.get(order.account_id), self.wordings.of(order.account_id, templates)

    async def update(self, order_id: uuid.UUID, account_id: uuid.UUID, changes: dict[str, Any]) -> str | None:
        known = self.saved.get(order_id)
        if known is None or known.account_id != account_id or known.order_version >= changes["order_version"]:
            return None
        self.saved[order_id] = replace(known, **changes)
        return self.saved[order_id].status

    async def get(self, order_id: uuid.UUID) -> OrderRecipient | None:
        return self.saved.get(order_id)

    async def for_email(
        self, order_id: uuid.UUID, templates: Sequence[str], *, hold: bool = False, link: PaymentLink | None = None
    ) -> tuple[OrderRecipient, Overrides] | None:
        order = self.saved.get(order_id)
        if order is None:
            return None
        if link is not None:
            await self.payment_links.save(link)
        if hold:
            self.held.add(order_id)
        school = await self.schools.get(order.account_id)
        if school is not None:
            order = order.at_school(school)
        return order, self.wordings.of(order.account_id, templates)

    async def take_for_email(
        self, order_id: uuid.UUID, templates: Sequence[str], *, link: PaymentLink | None = None
    ) -> tuple[OrderRecipient, Overrides, OrderCreated | None] | None:
        found = await self.for_email(order_id, templates, hold=True, link=link)
        if found is None:
            return None
        return found[0], found[1], self.confirmations.held.pop(order_id, None)

    async def for_access_change(
        self, order_id: uuid.UUID, account_id: uuid.UUID, templates: Sequence[str], line_id: uuid.UUID,
        state: AccessState, *, overdue_payment_id: uuid.UUID | None = None,
    ) -> tuple[OrderRecipient, Overrides, AccessState | None, str | None] | None:
        found = await self.for_email(order_id, templates)
        if found is None:
            return None
        known = self.access_states.swap(order_id, line_id, state)
        link = None if overdue_payment_id is None else self.payment_links.get(account_id, order_id, overdue_payment_id)
        return found[0], found[1], known, link


@dataclass
class MemoryAccessStates:
    saved: dict[tuple[uuid.UUID, uuid.UUID], AccessState] = field(default_factory=dict)

    def swap(self, order_id: uuid.UUID, line_id: uuid.UUID, state: AccessState) -> AccessState | None:
        known = self.saved.get((order_id, line_id))
        if known is None or known.occurred_at <= state.occurred_at:
            self.saved[(order_id, line_id)] = state
        return known


@dataclass
class MemoryPaymentLinks:
    saved: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, str, datetime]] = field(default_factory=dict)

    async def save(self, link: PaymentLink) -> None:
        known = self.saved.get(link.payment_id)
        if known is None or (known[3] <= link.occurred_at and known[:2] == (link.account_id, link.order_id)):
            self.saved[link.payment_id] = (link.account_id, link.order_id, link.url, link.occurred_at)

    def get(self, account_id: uuid.UUID, order_id: uuid.UUID, payment_id: uuid.UUID) -> str | None:
        known = self.saved.get(payment_id)
        return known[2] if known is not None and known[:2] == (account_id, order_id) else None


@dataclass
class Row:
    """A delivery's columns, as the table has them."""

    id: uuid.UUID
    account_id: uuid.UUID
    order_id: uuid.UUID
    contact_id: uuid.UUID | None
    event_id: uuid.UUID
    correlation_id: uuid.UUID | None
    template: str
    recipient: str
    locale: str
    subject: str
    text_body: str
    html_body: str
    sender_name: str | None
    reply_to: str | None
    next_attempt_at: datetime
    status: str = "pending"
    cancel_reason: str | None = None
    attempts: int = 0
    last_error: str | None = None
    refused: bool = False
    resend_of: uuid.UUID | None = None
    sent_at: datetime | None = None
    handed_over_at: datetime | None = None


class MemoryDeliveries:
    def __init__(self, clock: Clock) -> None:
        self.rows: dict[uuid.UUID, Row] = {}
        self.clock = clock

    def put(self, **values: Any) -> Row:
        """A delivery as if recorded earlier: pending, due now, unless `values` say otherwise."""
        defaults: dict[str, Any] = {
            "id": uuid.uuid4(), "account_id": uuid.uuid4(), "order_id": uuid.uuid4(), "contact_id": None,
            "event_id": uuid.uuid4(), "correlation_id": uuid.uuid4(), "template": "receipt",
            "recipient": "ivan@example.com", "locale": "en", "subject": "Receipt", "text_body": "Thanks",
            "html_body": "<p>Thanks</p>", "sender_name": "School", "reply_to": None,
            "next_attempt_at": self.clock.now,
        }
        row = Row(**{**defaults, **values})
        self.rows[row.id] = row
        return row

    def of(self, order_id: uuid.UUID) -> list[Row]:
        return [r for r in self.rows.values() if r.order_id == order_id]

    async def add(self, letter: Letter, rendered: Rendered, *, cancel_reason: str | None = None) -> uuid.UUID | None:
        if any((r.event_id, r.template, r.recipient) == (letter.event_id, letter.template, letter.to)
               for r in self.rows.values()):
            return None
        return self.put(
            account_id=letter.account_id, order_id=letter.order_id, contact_id=letter.contact_id,
            event_id=letter.event_id, correlation_id=letter.correlation_id, template=letter.template,
            recipient=letter.to, locale=letter.locale, subject=rendered.subject, text_body=rendered.text,
            html_body=rendered.html, sender_name=letter.school_name, reply_to=letter.reply_to,
            status="cancelled" if cancel_reason else "pending", cancel_reason=cancel_reason,
        ).id

    async def cancel_unsent(self, account_id: uuid.UUID, order_id: uuid.UUID, templates: tuple[str, ...],
                            reason: str) -> int:
        cancelled = 0
        for r in self.rows.values():
            if (r.account_id, r.order_id) == (account_id, order_id) and r.template in templates \
                    and r.status == "pending":
                r.status, r.cancel_reason = "cancelled", reason
                cancelled += 1
        return cancelled

    async def get(self, account_id: uuid.UUID, delivery_id: uuid.UUID) -> Row | None:
        row = self.rows.get(delivery_id)
        return copy.copy(row) if row is not None and row.account_id == account_id else None

    async def add_resend(self, original: Any, correlation_id: uuid.UUID) -> uuid.UUID:
        return self.put(
            account_id=original.account_id, order_id=original.order_id, contact_id=original.contact_id,
            correlation_id=correlation_id, template=original.template, recipient=original.recipient,
            locale=original.locale, subject=original.subject, text_body=original.text_body,
            html_body=original.html_body, sender_name=original.sender_name, reply_to=original.reply_to,
            resend_of=original.id,
        ).id

    # The sender's bookkeeping: a try is (id, attempts), and only the try that claimed a row decides it.

    @staticmethod
    def _open(r: Row) -> bool:
        return r.status == "pending" or (r.status == "cancelled" and r.handed_over_at is not None)

    def _this_try(self, t: Outgoing | tuple[uuid.UUID, int]) -> Row | None:
        delivery_id, attempts = (t.id, t.attempts) if isinstance(t, Outgoing) else t
        r = self.rows.get(delivery_id)
        return r if r is not None and r.attempts == attempts and self._open(r) else None

    def _outcome(self, r: Row) -> Any:
        outcome = copy.copy(r)
        outcome.now = self.clock.now  # type: ignore[attr-defined]
        return outcome

    async def claim_due(self, limit: int, lease: timedelta, *, retry_unconfirmed: bool = False) -> list[Outgoing]:
        due = sorted((r for r in self.rows.values()
                      if r.status == "pending" and r.next_attempt_at <= self.clock.now
                      and (retry_unconfirmed or r.handed_over_at is None)), key=lambda r: r.next_attempt_at)
        claimed = []
        for r in due[:limit]:
            r.attempts += 1
            r.next_attempt_at, r.handed_over_at = self.clock.now + lease, None
            claimed.append(Outgoing(r.id, r.recipient, r.subject, r.text_body, r.html_body, r.attempts,
                                    r.sender_name, r.reply_to))
        return claimed

    async def renew_leases(self, held: list[tuple[uuid.UUID, int]], lease: timedelta) -> int:
        renewed = 0
        for t in held:
            if (r := self._this_try(t)) is not None:
                r.next_attempt_at = self.clock.now + lease
                renewed += 1
        return renewed

    async def hand_over(self, tries: list[Outgoing], lease: timedelta) -> set[uuid.UUID]:
        granted = set()
        for t in tries:
            r = self.rows.get(t.id)
            if r is not None and r.attempts == t.attempts and r.status == "pending" and r.handed_over_at is None:
                r.handed_over_at, r.next_attempt_at = self.clock.now, self.clock.now + lease
                granted.add(r.id)
        return granted

    async def withdraw_handover(self, tries: list[Outgoing]) -> None:
        for t in tries:
            if (r := self._this_try(t)) is not None:
                r.handed_over_at = None

    async def mark_sent(
        self, delivery: Outgoing, *, unconfirmed: str | None = None, cancelled_only: bool = False
    ) -> Any | None:
        r = self._this_try(delivery)
        if r is None or (cancelled_only and r.status != "cancelled"):
            return None
        r.status, r.cancel_reason = "sent", None
        r.sent_at, r.last_error = (r.handed_over_at, unconfirmed) if unconfirmed is not None else (self.clock.now, None)
        return self._outcome(r)

    async def mark_sent_many(self, tries: Sequence[Outgoing]) -> list[Any]:
        return [row for t in tries if (row := await self.mark_sent(t)) is not None]

    async def settle_unconfirmed(self, limit: int, note: str, *, pending_too: bool) -> list[Any]:
        settled = []
        for r in list(self.rows.values()):
            if len(settled) == limit:
                break
            if self._open(r) and r.handed_over_at is not None and r.next_attempt_at <= self.clock.now \
                    and (pending_too or r.status == "cancelled"):
                r.status, r.sent_at, r.last_error, r.cancel_reason = "sent", r.handed_over_at, note, None
                settled.append(self._outcome(r))
        return settled

    async def settle_and_claim(
        self, limit: int, lease: timedelta, note: str, *, retry_unconfirmed: bool
    ) -> tuple[list[Any], list[Outgoing]]:
        settled = await self.settle_unconfirmed(limit, note, pending_too=not retry_unconfirmed)
        return settled, await self.claim_due(limit, lease, retry_unconfirmed=retry_unconfirmed)

    async def mark_failed_try(
        self, delivery: Outgoing, *, error: str, status: str, retry_in: float | None, refused: bool = False
    ) -> Any | None:
        r = self._this_try(delivery)
        if r is None:
            return None
        if r.status != "cancelled":
            r.status, r.refused = status, refused
        r.last_error, r.handed_over_at = error[:2000], None
        if retry_in is not None:
            r.next_attempt_at = self.clock.now + timedelta(seconds=retry_in)
        return self._outcome(r)


class MemoryUnitOfWork:
    def __init__(self) -> None:
        self.clock = Clock()
        self.confirmations = MemoryConfirmations()
        self.schools = MemorySchools()
        self.wordings = MemoryWordings()
        self.access_states = MemoryAccessStates()
        self.payment_links = MemoryPaymentLinks()
        self.recipients = MemoryRecipients(self.schools, self.wordings, self.confirmations, self.access_states,
                                           self.payment_links)
        self.deliveries = MemoryDeliveries(self.clock)
        self.idempotency = MemoryIdempotency()
        self.outbox = MemoryOutbox()


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


class Events:
    """The events of a purchase, as the other services send them (`events.an_order_created(...)`)."""

    when = WHEN

    @staticmethod
    def an_order_created(**over: Any) -> OrderCreated:
        line = OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python course", price="1547.36")
        values: dict[str, Any] = dict(
            account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=17,
            school_name="Kyiv Code School", contact_id=uuid.uuid4(),
            contact=ContactData(name="Olena", email="olena@example.com", locale="uk"), currency="UAH",
            lines=[line], discount="0", total="1547.36", payment_plan=[], provider="sandbox", occurred_at=WHEN,
        )
        return OrderCreated(**(values | over))


    @staticmethod
    def a_manual_order(*, paid_by_link: bool) -> OrderCreated:
        """A manual order whose manager asked for a confirmation; its first payment by link or in cash."""
        payment = PlannedPayment(amount="1547.36", method="cashless" if paid_by_link else "cash")
        return Events.an_order_created(send_confirmation=True, payment_plan=[payment])


    @staticmethod
    def a_link(order: OrderCreated, **over: Any) -> PaymentLinkIssued:
        values: dict[str, Any] = dict(
            order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH", provider="sandbox",
            url="https://pay.example/p/1", due_at=WHEN + timedelta(days=3), occurred_at=WHEN,
        )
        return PaymentLinkIssued.caused_by(order, **(values | over))


    @staticmethod
    def a_reminder(order: OrderCreated, **over: Any) -> ReminderRequested:
        values: dict[str, Any] = dict(
            order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH",
            url="https://pay.example/p/2", due_at=WHEN + timedelta(days=1), occurred_at=WHEN,
        )
        return ReminderRequested.caused_by(order, **(values | over))


    @staticmethod
    def a_payment(order: OrderCreated, **over: Any) -> PaymentSucceeded:
        values: dict[str, Any] = dict(
            order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH", provider="sandbox",
            paid_at=WHEN, occurred_at=WHEN,
        )
        return PaymentSucceeded.caused_by(order, **(values | over))


    @staticmethod
    def an_access(order: OrderCreated, status: str, *, at: datetime = WHEN, **over: Any) -> AccessChanged:
        line = order.lines[0]
        values: dict[str, Any] = dict(
            order_id=order.order_id, line_id=line.line_id, product_id=line.product_id, product_title=line.product_title,
            contact_id=order.contact_id, status=status, reason="paid" if status == "open" else "overdue",
            starts_at=WHEN, ends_at=WHEN + timedelta(days=90), occurred_at=at,
        )
        return AccessChanged.caused_by(order, **(values | over))


    @staticmethod
    def an_update(order: OrderCreated, version: int, status: str = "active", **over: Any) -> OrderUpdated:
        values: dict[str, Any] = dict(
            order_id=order.order_id, order_number=order.order_number, order_version=version, status=status,
            contact_id=order.contact_id, contact=order.contact, currency=order.currency, lines=order.lines,
            discount="0", total=order.total, changed=["status"],
        )
        return OrderUpdated.caused_by(order, **(values | over))


    @staticmethod
    def a_school(account_id: uuid.UUID, name: str = "Kyiv Code School", *, at: datetime = WHEN,
                 **over: Any) -> SchoolUpdated:
        values: dict[str, Any] = dict(account_id=account_id, correlation_id=uuid.uuid4(), name=name,
                                      default_locale="uk", time_zone="Europe/Kyiv", occurred_at=at)
        return SchoolUpdated(**(values | over))


@pytest.fixture
def events() -> type[Events]:
    return Events
