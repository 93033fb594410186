"""What providers tell us: payments confirmed, declined, refunded, links expired. Each once."""

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from contracts import utcnow

from ..domain.payment import MAX_REASON_LENGTH, AmountMismatch, Outcome, Payment, PaymentNotFound
from ..domain.reports import ProviderReport
from .unit_of_work import UnitOfWork


async def _lock_and_record(
    uow: UnitOfWork, *, provider: str, event_id: str, kind: str, payload: dict[str, Any],
    payment_id: UUID | None, reference: str | None = None, account_id: UUID | None = None,
) -> tuple[Payment, bool]:
    """The payment the report names, locked, and whether the report is new (then kept with it)."""
    # A provider settles only the payments it was chosen for: the sandbox can never pay a real one.
    found = await uow.provider_events.lock_and_record(
        provider=provider, event_id=event_id, kind=kind, payload=payload, payment_id=payment_id,
        reference=reference, account_id=account_id,
    )
    if found is None:
        named = payment_id if payment_id is not None else f"for reference {reference}"
        raise PaymentNotFound(f"no {provider} payment {named}")
    return found


async def confirm_payment(
    uow: UnitOfWork,
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

    Safe to call any number of times and concurrently for one payment (or with a manual
    mark-paid): the payment row is locked, a repeated provider event is recognised, and only
    the transition to paid emits PaymentSucceeded.
    """
    payment, recorded = await _lock_and_record(
        uow, provider=provider, event_id=provider_event_id, kind="payment.succeeded", payment_id=payment_id,
        account_id=account_id, payload=payload if payload is not None else {
            "amount": format(amount, "f"), "currency": currency, "provider_reference": provider_reference,
        },
    )
    if not recorded:
        return Outcome.DUPLICATE
    outcome = payment.mark_paid(amount, currency, at=utcnow(), provider_reference=provider_reference)
    if outcome is Outcome.PAID:
        await uow.payments.save_settled(payment)  # its reminders stop, no link is wanted any more
        await uow.outbox.add(payment.succeeded(fallback_correlation_id=correlation_id))
    return outcome


async def decline_payment(
    uow: UnitOfWork,
    *,
    provider: str,
    provider_event_id: str,
    payment_id: UUID | None,
    reason: str,
    correlation_id: UUID | None = None,
    account_id: UUID | None = None,
    payload: dict[str, Any] | None = None,
    reference: str | None = None,
) -> Outcome:
    """A provider refused one try: count it, keep the reason, tell the others; it stays payable.

    The payment is named by our id, or else by the provider's `reference` (with the school)."""
    payment, recorded = await _lock_and_record(
        uow, provider=provider, event_id=provider_event_id, kind="payment.declined", payment_id=payment_id,
        reference=reference, account_id=account_id,
        # The reason is kept with the try, so the payment's history shows why each one failed.
        payload={**(payload or {}), "reason": reason[:MAX_REASON_LENGTH]},
    )
    if not recorded:
        return Outcome.DUPLICATE
    outcome = payment.record_declined(reason)
    if outcome is Outcome.DECLINED:
        await uow.payments.save(payment)
        await uow.outbox.add(payment.failed(at=utcnow(), correlation_id=correlation_id or uuid4()))
    return outcome


async def _report_recorded(
    uow: UnitOfWork, provider: str, report: ProviderReport, account_id: UUID, kind: str
) -> tuple[Payment, bool]:
    return await _lock_and_record(
        uow, provider=provider, event_id=report.event_id, kind=kind, payload=report.payload or {},
        payment_id=report.payment_id, reference=report.lookup_reference or None, account_id=account_id,
    )


async def refund_payment(
    uow: UnitOfWork, *, provider: str, report: ProviderReport, account_id: UUID, correlation_id: UUID
) -> Outcome:
    """Money went back: PaymentRefunded for what is newly refunded; repeats and late reports are no-ops."""
    payment, recorded = await _report_recorded(uow, provider, report, account_id, "payment.refunded")
    if report.amount is None or report.currency is None:
        raise AmountMismatch("a refund report without an amount")  # nothing kept: the transaction ends
    if not recorded:
        return Outcome.DUPLICATE
    new = payment.record_refund(report.amount, report.currency)
    if new <= 0:
        return Outcome.NOTHING
    await uow.payments.save(payment)
    await uow.outbox.add(payment.refunded(new, at=utcnow(), correlation_id=correlation_id))
    return Outcome.REFUNDED


async def expire_link(
    uow: UnitOfWork, *, provider: str, report: ProviderReport, account_id: UUID
) -> Outcome:
    """The provider closed a payment page: the next time a link is needed, a fresh one is made."""
    payment, recorded = await _report_recorded(uow, provider, report, account_id, "link.expired")
    if recorded and payment.is_open and payment.forget_link(report.session_reference):
        await uow.payments.save(payment)
    return Outcome.NOTHING if recorded else Outcome.DUPLICATE


async def apply_report(
    uow: UnitOfWork, *, provider: str, report: ProviderReport, account_id: UUID, correlation_id: UUID
) -> Outcome:
    """One verified provider report, from a webhook or from reconciliation: the same code for both."""
    if report.kind == "succeeded":
        if report.payment_id is None or report.amount is None or report.currency is None:
            raise PaymentNotFound("the report names no payment or amount")
        return await confirm_payment(
            uow, provider=provider, provider_event_id=report.event_id, payment_id=report.payment_id,
            amount=report.amount, currency=report.currency, provider_reference=report.provider_reference,
            correlation_id=correlation_id, account_id=account_id, payload=report.payload,
        )
    if report.kind == "declined":
        return await decline_payment(
            uow, provider=provider, provider_event_id=report.event_id, payment_id=report.payment_id,
            reference=report.lookup_reference or None, reason=report.reason or "declined",
            correlation_id=correlation_id, account_id=account_id, payload=report.payload,
        )
    if report.kind == "refunded":
        return await refund_payment(
            uow, provider=provider, report=report, account_id=account_id, correlation_id=correlation_id,
        )
    if report.kind == "expired":
        return await expire_link(uow, provider=provider, report=report, account_id=account_id)
    return Outcome.NOTHING
