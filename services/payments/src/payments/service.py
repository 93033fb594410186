"""Use cases of the payments service: one per command or message."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import OrderCreated, utcnow
from servicekit.errors import Rejected
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .adapters.tables import outbox
from .domain.payment import (
    Outcome, Payment, PaymentNotFound, PaymentProvider, PlanInvalid, UnknownProvider, first_open, plan_payments,
    provider_for,
)

Providers = Mapping[str, PaymentProvider]


async def create_order_payments(conn: AsyncConnection, order: OrderCreated, providers: Providers) -> None:
    """A new order: the payments of its plan, and a link for the first one to pay."""
    # The inbox stops a redelivery; this stops the same order arriving under another event id.
    if await repo.order_has_payments(conn, order.order_id):
        return
    try:
        payments = plan_payments(order)
        first = first_open(payments)
        provider = provider_for(providers, order.provider) if first else None
    except (PlanInvalid, UnknownProvider) as exc:
        raise Rejected(f"order {order.order_id}: {exc}") from None
    if first is not None and provider is not None:
        description = f"{order.school_name}, order {order.order_number}"
        first.attach_link(await provider.create_link(first, order.contact, description=description))
    await repo.add_payments(conn, payments)
    if first is not None:
        await add_to_outbox(conn, outbox, first.link_issued(order, send_email=order.send_payment_link))


async def _locked(conn: AsyncConnection, payment_id: UUID, provider: str, account_id: UUID | None) -> Payment:
    payment = await repo.get_payment(conn, payment_id, account_id=account_id, for_update=True)
    # A provider settles only the payments it was chosen for: the sandbox can never pay a real one.
    if payment is None or payment.provider != provider:
        raise PaymentNotFound(f"no {provider} payment {payment_id}")
    return payment


async def confirm_payment(
    conn: AsyncConnection,
    *,
    provider: str,
    provider_event_id: str,
    payment_id: UUID,
    amount: Decimal,
    currency: str,
    provider_reference: str | None,
    correlation_id: UUID,
    account_id: UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> Outcome:
    """A provider says the money arrived: record what it said, mark the payment paid, once.

    Safe to call any number of times and concurrently for one payment: the payment row is
    locked, a repeated provider event is recognised, and only the transition to paid emits
    PaymentSucceeded.
    """
    payment = await _locked(conn, payment_id, provider, account_id)
    recorded = await repo.record_provider_event(
        conn, provider=provider, event_id=provider_event_id, payment_id=payment.id, kind="payment.succeeded",
        payload=payload if payload is not None else {
            "amount": format(amount, "f"), "currency": currency, "provider_reference": provider_reference,
        },
    )
    if not recorded:
        return Outcome.DUPLICATE
    outcome = payment.mark_paid(amount, currency, at=utcnow(), provider_reference=provider_reference)
    if outcome is Outcome.PAID:
        await repo.save_payment(conn, payment)
        await add_to_outbox(conn, outbox, payment.succeeded(fallback_correlation_id=correlation_id))
    return outcome


async def decline_payment(
    conn: AsyncConnection,
    *,
    provider: str,
    provider_event_id: str,
    payment_id: UUID,
    reason: str,
    account_id: UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> Outcome:
    """A provider refused one try: count it and keep the reason; the payment stays payable."""
    payment = await _locked(conn, payment_id, provider, account_id)
    recorded = await repo.record_provider_event(
        conn, provider=provider, event_id=provider_event_id, payment_id=payment.id, kind="payment.declined",
        payload=payload if payload is not None else {"reason": reason},
    )
    if not recorded:
        return Outcome.DUPLICATE
    outcome = payment.record_declined(reason)
    if outcome is Outcome.DECLINED:
        await repo.save_payment(conn, payment)
    return outcome
