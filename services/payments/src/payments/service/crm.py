"""The CRM's commands on payments: add, edit, cancel, mark paid, resend the link, remind."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import utcnow
from contracts.events import PaymentMethod, PaymentType
from servicekit.idempotency import Idempotent

from ..domain.payment import (
    NotEditable, NotPayable, Outcome, Payment, PaymentNotFound, PaymentPart, PlanInvalid, UnknownProvider,
    check_parts, main_method, provider_for,
)
from .credentials import require_credentials
from .links import Providers, request_link
from .schedule import plan_reminders
from .unit_of_work import UnitOfWork


class OrderNotFound(Exception):
    """No such order for this account (another account's order is not found either)."""


class OrderClosed(Exception):
    """The order was cancelled or expired: nothing more can be owed on it."""


@dataclass(frozen=True)
class NewPayment:
    amount: Decimal
    type: PaymentType = "regular"
    status: str = "unpaid"  # or "paid"
    due_at: datetime | None = None
    paid_at: datetime | None = None
    method: PaymentMethod = "cashless"
    provider: str | None = None
    comment: str | None = None
    closes_access: bool = False
    send_email: bool = False
    parts: list[PaymentPart] | None = None  # a paid payment split across methods


async def add_payment(
    uow: UnitOfWork, account_id: UUID, order_id: UUID, new: NewPayment, providers: Providers, *,
    correlation_id: UUID, idempotency: Idempotent | None = None, marked_by: str | None = None,
) -> tuple[Payment, bool]:
    """A payment added by hand; the same Idempotency-Key gives back the first one (created False).

    One added already paid was recorded by `marked_by`, the team member, as with mark-paid.
    """
    if (earlier := await uow.idempotency.made_before(str(account_id), idempotency)) is not None:
        existing = await uow.payments.get(earlier, account_id=account_id)
        assert existing is not None  # payments are never deleted
        return existing, False
    order = await uow.orders.get(order_id, account_id=account_id, for_update=True)
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    if order.status != "active":
        raise OrderClosed(f"order {order_id} is {order.status}")
    provider = new.provider or order.provider
    paid = new.status == "paid"
    if not paid and new.method == "cashless":
        try:
            inline = provider_for(providers, provider).inline
        except UnknownProvider as exc:
            raise PlanInvalid("provider", str(exc)) from None
        if not inline:
            await require_credentials(uow, account_id, provider)
    payment = Payment(
        account_id=account_id, order_id=order_id, number=await uow.payments.next_number(order_id),
        amount=new.amount, currency=order.currency, provider=provider, type=new.type, due_at=new.due_at,
        method=new.method, closes_access=new.closes_access, comment=new.comment, correlation_id=correlation_id,
    )
    payment.validate()
    if new.parts is not None and not paid:
        raise PlanInvalid("parts", "parts are for a paid payment")
    if paid:
        payment.status = "paid"
        payment.paid_at = new.paid_at or utcnow()
        payment.marked_by = marked_by
        if new.parts is not None:
            payment.parts = check_parts(new.parts, payment.amount, payment.currency)
            payment.method = main_method(payment.parts)
    if payment.takes_link:
        await request_link(
            uow, payment, order, providers, purpose="link", send_email=new.send_email,
            correlation_id=correlation_id, saved=False,
        )
    else:
        await uow.payments.add([payment])
    await uow.idempotency.remember(str(account_id), idempotency, payment.id)
    if paid:
        await uow.outbox.add(payment.succeeded(fallback_correlation_id=correlation_id))
    await plan_reminders(uow, payment)
    return payment, True


async def _payment(uow: UnitOfWork, account_id: UUID, payment_id: UUID) -> Payment:
    payment = await uow.payments.get(payment_id, account_id=account_id, for_update=True)
    if payment is None:
        raise PaymentNotFound(f"no payment {payment_id}")
    return payment


async def edit_payment(
    uow: UnitOfWork, account_id: UUID, payment_id: UUID, changes: dict[str, Any], providers: Providers, *,
    correlation_id: UUID,
) -> Payment:
    """Apply the given fields (only those sent); status "cancelled" cancels an unpaid payment."""
    payment = await _payment(uow, account_id, payment_id)
    if changes.get("status") == "cancelled":
        if payment.status == "cancelled":
            return payment
        payment.cancel()
        await uow.payments.save_settled(payment)
        await uow.outbox.add(payment.cancelled(correlation_id=correlation_id))
        return payment
    if "status" in changes:
        raise NotEditable("status", "only \"cancelled\" can be set; use mark-paid to record a payment")
    if "comment" in changes:
        payment.comment = changes["comment"]
    if "closes_access" in changes:
        if payment.status != "unpaid":
            raise NotEditable("closes_access", f"payment {payment.id} is {payment.status}")
        payment.closes_access = changes["closes_access"]
    if "due_at" in changes:
        payment.reschedule(changes["due_at"])
    amount_changed = "amount" in changes and payment.change_amount(changes["amount"])
    if amount_changed and payment.takes_link and (payment.link_url or payment.link_generation):
        # A provider's page asks for the old amount: the link is replaced, quietly.
        order = await uow.orders.get(payment.order_id)
        if order is not None:
            await request_link(uow, payment, order, providers, purpose="link", send_email=False,
                               correlation_id=correlation_id)
    await uow.payments.save(payment)
    if "due_at" in changes:
        await plan_reminders(uow, payment)
    return payment


async def mark_paid(
    uow: UnitOfWork, account_id: UUID, payment_id: UUID, *, comment: str, correlation_id: UUID,
    method: PaymentMethod | None = None, external_reference: str | None = None, marked_by: str | None = None,
    parts: list[PaymentPart] | None = None,
) -> Payment:
    """The team records money that came outside the provider; racing a webhook, one of them wins.

    `marked_by` (the team member) goes on the payment and on its PaymentSucceeded; `parts`
    records a payment split across methods.
    """
    payment = await _payment(uow, account_id, payment_id)
    outcome = payment.mark_paid_by_hand(
        at=utcnow(), comment=comment, method=method, external_reference=external_reference, marked_by=marked_by,
        parts=parts,
    )
    if outcome is Outcome.ALREADY_PAID:
        raise NotPayable(f"payment {payment.id} is already paid")
    await uow.payments.save_settled(payment)
    await uow.outbox.add(payment.succeeded(fallback_correlation_id=correlation_id))
    return payment


async def send_link(
    uow: UnitOfWork, account_id: UUID, payment_id: UUID, providers: Providers, *, correlation_id: UUID,
) -> Payment:
    """Email the payment's link again; a fresh one first if it expired."""
    return await _link_action(uow, account_id, payment_id, providers, "link", correlation_id)


async def remind(
    uow: UnitOfWork, account_id: UUID, payment_id: UUID, providers: Providers, *, correlation_id: UUID,
) -> Payment:
    """A manager's reminder: ReminderRequested with a link that still works."""
    return await _link_action(uow, account_id, payment_id, providers, "reminder_manual", correlation_id)


async def _link_action(
    uow: UnitOfWork, account_id: UUID, payment_id: UUID, providers: Providers, purpose: str,
    correlation_id: UUID,
) -> Payment:
    payment = await _payment(uow, account_id, payment_id)
    if not payment.takes_link:
        raise NotPayable(
            f"payment {payment.id} is {payment.status} by {payment.method}; only an unpaid cashless payment has a link"
        )
    if payment.link_usable(utcnow()):
        event = (
            payment.link_issued_now(send_email=True, correlation_id=correlation_id)
            if purpose == "link" else payment.reminder(reason="manual", correlation_id=correlation_id)
        )
        await uow.outbox.add(event)
        return payment
    order = await uow.orders.get(payment.order_id)
    if order is None:
        raise PaymentNotFound(f"no order for payment {payment.id}")
    await request_link(uow, payment, order, providers, purpose=purpose, send_email=purpose == "link",
                       correlation_id=correlation_id)
    return payment
