"""An in-memory unit of work, so payments's use cases run without a database; and providers to pay through.

Each store keeps what the SQL one keeps and answers as it answers (adapters/unit_of_work.py, whose
SQL the integration tests run on PostgreSQL). Loads hand out copies, so only what a use case saves
is kept. Locks are not modelled: one use case runs at a time here.
"""

import contextlib
import copy
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from contracts import OrderCreated, OrderUpdated, utcnow
from payments.adapters.sandbox import SandboxProvider
from payments.domain.payment import Link, LinkOrder, Outcome, Payment
from payments.domain.providers import Acknowledgement
from payments.domain.records import DueReminder, LinkRequest, OrderState
from servicekit.testing import MemoryIdempotency, MemoryOutbox


class MemoryPayments:
    def __init__(self) -> None:
        self.saved: dict[uuid.UUID, Payment] = {}
        # What else ends with a settled payment (its reminders and wanted links), set by the unit of work.
        self.on_settled: Callable[[uuid.UUID], Awaitable[None]] | None = None

    def put(self, payment: Payment) -> Payment:
        """A payment as if added earlier."""
        self.saved[payment.id] = copy.deepcopy(payment)
        return payment

    def stored(self, payment_id: uuid.UUID) -> Payment:
        return copy.deepcopy(self.saved[payment_id])

    async def get(self, payment_id: uuid.UUID, *, account_id: uuid.UUID | None = None,
                  for_update: bool = False) -> Payment | None:
        found = self.saved.get(payment_id)
        if found is None or (account_id is not None and found.account_id != account_id):
            return None
        return copy.deepcopy(found)

    async def add(self, new: list[Payment]) -> None:
        for payment in new:
            assert payment.id not in self.saved, "added twice"
            self.saved[payment.id] = copy.deepcopy(payment)

    async def save(self, payment: Payment) -> None:
        assert payment.id in self.saved, "saved before it was added"
        self.saved[payment.id] = copy.deepcopy(payment)

    async def save_settled(self, payment: Payment) -> None:
        await self.save(payment)
        assert self.on_settled is not None
        await self.on_settled(payment.id)

    async def order_has_any(self, order_id: uuid.UUID) -> bool:
        return any(p.order_id == order_id for p in self.saved.values())

    async def next_number(self, order_id: uuid.UUID) -> int:
        return max((p.number for p in self.saved.values() if p.order_id == order_id), default=0) + 1

    async def of_order(self, order_id: uuid.UUID, *, for_update: bool = False) -> list[Payment]:
        return sorted((copy.deepcopy(p) for p in self.saved.values() if p.order_id == order_id),
                      key=lambda p: p.number)

    async def by_provider_reference(self, *, provider: str, reference: str, account_id: uuid.UUID,
                                    for_update: bool = False) -> Payment | None:
        return next((copy.deepcopy(p) for p in self.saved.values() if p.provider == provider
                     and p.provider_reference == reference and p.account_id == account_id), None)

    async def unpaid_planned(self, account_id: uuid.UUID) -> list[Payment]:
        return [copy.deepcopy(p) for p in self.saved.values()
                if p.account_id == account_id and p.status == "unpaid" and p.due_at is not None]

    async def lock_overdue(self, *, limit: int) -> list[Payment]:
        now = utcnow()
        due = [p for p in self.saved.values() if p.status == "unpaid" and p.overdue_notified_at is None
               and p.due_at is not None and p.due_at < now]
        return [copy.deepcopy(p) for p in sorted(due, key=lambda p: p.due_at)[:limit]]


class MemoryProviderEvents:
    def __init__(self, payments: MemoryPayments) -> None:
        self.recorded: dict[tuple[str, str], dict[str, Any]] = {}
        self._payments = payments

    async def lock_and_record(
        self, *, provider: str, event_id: str, kind: str, payload: dict[str, Any],
        payment_id: uuid.UUID | None = None, reference: str | None = None, account_id: uuid.UUID | None = None,
    ) -> tuple[Payment, bool] | None:
        if payment_id is not None:
            found = await self._payments.get(payment_id, account_id=account_id)
            found = found if found is not None and found.provider == provider else None
        elif reference is not None and account_id is not None:
            found = await self._payments.by_provider_reference(
                provider=provider, reference=reference, account_id=account_id)
        else:
            found = None
        if found is None:
            return None
        if (provider, event_id) in self.recorded:
            return found, False
        self.recorded[provider, event_id] = {"payment_id": found.id, "kind": kind, "payload": payload}
        return found, True


class MemoryOrderStates:
    def __init__(self, payments: MemoryPayments) -> None:
        self.saved: dict[uuid.UUID, OrderState] = {}
        self._payments = payments

    async def add_unless_planned(self, order: OrderCreated) -> OrderState | None:
        if await self._payments.order_has_any(order.order_id):
            return None
        return self.add(order)

    def add(self, order: OrderCreated) -> OrderState:
        """An order as if kept earlier."""
        return self.saved.setdefault(order.order_id, OrderState(
            order_id=order.order_id, account_id=order.account_id, order_number=order.order_number,
            school_name=order.school_name, currency=order.currency, provider=order.provider,
            contact=order.contact, status="active", version=1,
        ))

    async def get(self, order_id: uuid.UUID, *, account_id: uuid.UUID | None = None,
                  for_update: bool = False) -> OrderState | None:
        found = self.saved.get(order_id)
        return None if found is None or (account_id is not None and found.account_id != account_id) else found

    async def update(self, event: OrderUpdated) -> bool:
        kept = self.saved.get(event.order_id)
        if kept is None or kept.account_id != event.account_id or kept.version >= event.order_version:
            return False
        self.saved[event.order_id] = replace(
            kept, order_number=event.order_number, currency=event.currency, contact=event.contact,
            status=event.status, version=event.order_version,
        )
        return True

    async def id_of(self, account_id: uuid.UUID, ref: uuid.UUID | int) -> uuid.UUID | None:
        return next((o.order_id for o in self.saved.values() if o.account_id == account_id
                     and (o.order_id == ref if isinstance(ref, uuid.UUID) else o.order_number == ref)), None)


class MemoryLinkRequests:
    """Waiting requests by (payment, purpose); `due` says whether the worker may lease one now."""

    def __init__(self, payments: MemoryPayments) -> None:
        self.waiting: dict[tuple[uuid.UUID, str], LinkRequest] = {}
        self.due: dict[tuple[uuid.UUID, str], bool] = {}
        self.errors: dict[tuple[uuid.UUID, str], str | None] = {}
        self.notices = 0  # the worker's wake-ups (pg_notify in SQL)
        self._payments = payments

    async def want(self, payment: Payment, *, purpose: str, send_email: bool, correlation_id: uuid.UUID,
                   causation_id: uuid.UUID | None) -> None:
        key = (payment.id, purpose)
        earlier = self.waiting.get(key)
        self.waiting[key] = LinkRequest(
            payment_id=payment.id, purpose=purpose, account_id=payment.account_id,
            send_email=send_email or (earlier is not None and earlier.send_email),
            generation=payment.link_generation, correlation_id=correlation_id, causation_id=causation_id,
            attempts=0,
        )
        self.due[key], self.errors[key] = True, None
        for other in [k for k in self.waiting if k[0] == payment.id]:
            self.waiting[other] = replace(self.waiting[other], generation=payment.link_generation)
        self.notices += 1

    async def lease(self, *, limit: int, lease_seconds: float) -> list[LinkRequest]:
        leased = []
        for key in [k for k, due in self.due.items() if due][:limit]:
            self.waiting[key] = replace(self.waiting[key], attempts=self.waiting[key].attempts + 1)
            self.due[key] = False
            leased.append(self.waiting[key])
        return leased

    async def pending(self, payment_id: uuid.UUID) -> list[LinkRequest]:
        return [r for (p, _), r in self.waiting.items() if p == payment_id]

    async def drop(self, payment_id: uuid.UUID) -> None:
        for key in [k for k in self.waiting if k[0] == payment_id]:
            del self.waiting[key], self.due[key], self.errors[key]

    async def postpone(self, request: LinkRequest, *, delay_seconds: float, error: str) -> None:
        key = (request.payment_id, request.purpose)
        if key in self.waiting and self.waiting[key].generation == request.generation:
            self.errors[key] = error[:1000]
        payment = self._payments.saved.get(request.payment_id)
        if payment is not None and payment.link_generation == request.generation:
            payment.link_error = error[:1000]

    async def move(self, payment_id: uuid.UUID, *, from_generation: int, to_generation: int) -> None:
        for key, request in list(self.waiting.items()):
            if key[0] == payment_id and request.generation == from_generation:
                self.waiting[key] = replace(request, generation=to_generation)

    async def wake(self, account_id: uuid.UUID, provider: str) -> int:
        woken = [k for k, r in self.waiting.items() if r.account_id == account_id and self.errors[k] is not None
                 and not self.due[k] and self._payments.saved[k[0]].provider == provider]
        for key in woken:
            self.due[key] = True
            self.waiting[key] = replace(self.waiting[key], attempts=0)
        if woken:
            self.notices += 1
        return len(woken)


class MemoryCredentials:
    def __init__(self) -> None:
        self.saved: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}

    async def put(self, account_id: uuid.UUID, provider: str, settings: dict[str, Any]) -> None:
        self.saved[account_id, provider] = dict(settings)

    async def get(self, account_id: uuid.UUID, provider: str, *,
                  for_update: bool = False) -> dict[str, Any] | None:
        found = self.saved.get((account_id, provider))
        return None if found is None else dict(found)

    async def configured(self, account_id: uuid.UUID) -> list[str]:
        return sorted(p for a, p in self.saved if a == account_id)

    async def schools(self) -> dict[uuid.UUID, list[str]]:
        found: dict[uuid.UUID, list[str]] = {}
        for account_id, provider in sorted(self.saved, key=lambda k: (str(k[0]), k[1])):
            found.setdefault(account_id, []).append(provider)
        return found


class MemoryReminders:
    """Reminders by (payment, offset, planned date): their status and when they go out."""

    def __init__(self, links: MemoryLinkRequests) -> None:
        self.schedules: dict[uuid.UUID, list[int]] = {}
        self.saved: dict[tuple[uuid.UUID, int, datetime], dict[str, Any]] = {}
        self._links = links

    def of(self, payment_id: uuid.UUID, status: str = "pending") -> list[tuple[int, datetime]]:
        return sorted((k[1], k[2]) for k, r in self.saved.items() if k[0] == payment_id and r["status"] == status)

    async def offsets(self, account_id: uuid.UUID) -> list[int] | None:
        return self.schedules.get(account_id)

    async def put_offsets(self, account_id: uuid.UUID, offsets: list[int]) -> None:
        self.schedules[account_id] = list(offsets)

    async def add(self, payment: Payment, planned_at: datetime, times: list[tuple[int, datetime]]) -> None:
        for offset, at in times:
            key = (payment.id, offset, planned_at)
            if key not in self.saved:
                self.saved[key] = {"status": "pending", "remind_at": at, "account_id": payment.account_id}
            elif self.saved[key]["status"] == "stopped":  # a sent one never comes back
                self.saved[key]["status"] = "pending"

    async def stop(self, payment_ids: Sequence[uuid.UUID]) -> None:
        for key, reminder in self.saved.items():
            if key[0] in payment_ids and reminder["status"] == "pending":
                reminder["status"] = "stopped"

    async def lock_due(self, *, limit: int) -> list[DueReminder]:
        now = utcnow()
        due = sorted((r["remind_at"], k) for k, r in self.saved.items() if r["status"] == "pending"
                     and r["remind_at"] <= now)
        return [DueReminder(payment_id=k[0], offset_hours=k[1], planned_at=k[2]) for _, k in due[:limit]]

    async def finish(self, due: DueReminder, status: str) -> None:
        self.saved[due.payment_id, due.offset_hours, due.planned_at]["status"] = status


class MemoryUnitOfWork:
    def __init__(self) -> None:
        self.payments = MemoryPayments()
        self.provider_events = MemoryProviderEvents(self.payments)
        self.orders = MemoryOrderStates(self.payments)
        self.link_requests = MemoryLinkRequests(self.payments)
        self.credentials = MemoryCredentials()
        self.reminders = MemoryReminders(self.link_requests)
        self.payments.on_settled = self._settled
        self.idempotency = MemoryIdempotency()
        self.outbox = MemoryOutbox()
        self.inbox: set[tuple[str, uuid.UUID]] = set()
        self.transactions = 0

    async def _settled(self, payment_id: uuid.UUID) -> None:
        """A payment owes nothing more: its pending reminders stop, no link is wanted for it."""
        await self.reminders.stop([payment_id])
        await self.link_requests.drop(payment_id)

    async def record_if_new(self, consumer: str, event_id: uuid.UUID) -> bool:
        if (consumer, event_id) in self.inbox:
            return False
        self.inbox.add((consumer, event_id))
        return True

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator["MemoryUnitOfWork"]:
        """The factory the worker's use cases take: every transaction on this one memory."""
        self.transactions += 1
        yield self


class LinkProvider:
    """A provider that is not inline: its links come from the worker, from a call that may fail."""

    name = "remotepay"
    inline = False
    settings_model: type | None = None
    secret_fields: frozenset[str] = frozenset()
    acknowledges_foreign_payments = False

    def __init__(self) -> None:
        self.asked: list[LinkOrder] = []
        self.failure: Exception | None = None

    async def create_link(self, order: LinkOrder) -> Link:
        self.asked.append(order)
        if self.failure is not None:
            raise self.failure
        reference = f"rp-{order.payment.id}-{order.generation}"
        return Link(url=f"https://remotepay.test/{reference}", provider_reference=reference)

    async def check_status(self, payment: Payment, settings: Any) -> None:
        return None

    def parse_webhook(self, request: Any, settings: Any) -> Any:
        raise NotImplementedError

    def acknowledge(self, report: Any, outcome: Outcome, settings: Any) -> Acknowledgement:
        return Acknowledgement({"outcome": outcome.value})


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def remote() -> LinkProvider:
    return LinkProvider()


@pytest.fixture
def providers(remote: LinkProvider) -> dict[str, Any]:
    return {"sandbox": SandboxProvider("http://pay.school.test"), remote.name: remote}
