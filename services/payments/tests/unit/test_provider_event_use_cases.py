"""What providers report, on the in-memory unit of work: confirmations, declines, refunds and
expired links, each applied once, and the events each emits."""

import uuid
from decimal import Decimal

import pytest
from contracts import PaymentFailed, PaymentRefunded, PaymentSucceeded, utcnow
from payments import service
from payments.domain.payment import AmountMismatch, Outcome, Payment, PaymentNotFound
from payments.domain.reports import ProviderReport

ACCOUNT = uuid.uuid4()


@pytest.fixture
def payment(uow) -> Payment:
    """An unpaid sandbox payment with its link, and a pending reminder and link request."""
    return uow.payments.put(Payment(
        account_id=ACCOUNT, order_id=uuid.uuid4(), number=1, amount=Decimal("1500.00"), currency="UAH",
        provider="sandbox", link_url="http://pay.school.test/sandbox/pay/x", link_generation=1,
        provider_reference="sandbox-page-1", correlation_id=uuid.uuid4(),
    ))


async def confirm(uow, payment: Payment, event_id: str = "evt-1", **overrides):
    arguments = dict(provider="sandbox", provider_event_id=event_id, payment_id=payment.id,
                     amount=Decimal("1500.00"), currency="UAH", provider_reference="txn-1",
                     correlation_id=uuid.uuid4())
    return await service.confirm_payment(uow, **{**arguments, **overrides})


async def test_a_confirmation_pays_once_stops_reminders_and_drops_wanted_links(uow, payment):
    await uow.reminders.add(payment, utcnow(), [(24, utcnow())])
    await uow.link_requests.want(payment, purpose="reminder_manual", send_email=False, correlation_id=uuid.uuid4(),
                                 causation_id=None)

    assert await confirm(uow, payment) is Outcome.PAID
    assert await confirm(uow, payment) is Outcome.DUPLICATE  # the same event again
    assert await confirm(uow, payment, "evt-2") is Outcome.ALREADY_PAID  # another event, the same news

    stored = uow.payments.stored(payment.id)
    assert (stored.status, stored.provider_reference, stored.attempts) == ("paid", "txn-1", 1)
    (succeeded,) = uow.outbox.events
    assert isinstance(succeeded, PaymentSucceeded)
    assert (succeeded.payment_id, succeeded.amount, succeeded.correlation_id) == (
        payment.id, Decimal("1500.00"), payment.correlation_id)
    assert uow.reminders.of(payment.id) == [] and await uow.link_requests.pending(payment.id) == []
    assert uow.provider_events.recorded["sandbox", "evt-1"]["payload"] == {
        "amount": "1500.00", "currency": "UAH", "provider_reference": "txn-1"}


async def test_a_confirmation_for_the_wrong_amount_settles_nothing(uow, payment):
    with pytest.raises(AmountMismatch):
        await confirm(uow, payment, amount=Decimal("1499.99"))

    assert uow.payments.stored(payment.id).status == "unpaid" and uow.outbox.events == []


@pytest.mark.parametrize("who", ["another provider", "another school", "no such payment"])
async def test_a_provider_settles_only_its_own_payments_of_the_school(uow, payment, who):
    overrides = {
        "another provider": {"provider": "stripe"},
        "another school": {"account_id": uuid.uuid4()},
        "no such payment": {"payment_id": uuid.uuid4()},
    }[who]
    with pytest.raises(PaymentNotFound):
        await confirm(uow, payment, **overrides)

    assert uow.payments.stored(payment.id).status == "unpaid" and uow.provider_events.recorded == {}


async def test_a_decline_counts_the_try_and_keeps_the_payment_payable(uow, payment):
    correlation_id = uuid.uuid4()
    outcome = await service.decline_payment(uow, provider="sandbox", provider_event_id="d-1", payment_id=payment.id,
                                            reason="card expired", correlation_id=correlation_id)
    again = await service.decline_payment(uow, provider="sandbox", provider_event_id="d-1", payment_id=payment.id,
                                          reason="card expired")

    assert (outcome, again) == (Outcome.DECLINED, Outcome.DUPLICATE)
    stored = uow.payments.stored(payment.id)
    assert (stored.status, stored.attempts, stored.last_failure, stored.link_url) == (
        "unpaid", 1, "card expired", payment.link_url)
    (failed,) = uow.outbox.events
    # Traced with the purchase that made the payment, as every event of it.
    assert isinstance(failed, PaymentFailed) and failed.correlation_id == payment.correlation_id
    assert uow.provider_events.recorded["sandbox", "d-1"]["payload"] == {"reason": "card expired"}


async def test_a_decline_of_a_paid_payment_is_recorded_and_changes_nothing(uow, payment):
    await confirm(uow, payment)
    outcome = await service.decline_payment(uow, provider="sandbox", provider_event_id="d-1", payment_id=payment.id,
                                            reason="late")

    assert outcome is Outcome.NOT_OPEN and uow.outbox.names() == ["PaymentSucceeded"]
    assert ("sandbox", "d-1") in uow.provider_events.recorded


def refund(event_id: str, amount: str, **fields) -> ProviderReport:
    return ProviderReport(kind="refunded", event_id=event_id, amount=Decimal(amount), currency="UAH", **fields)


async def test_refunds_emit_what_is_newly_refunded_found_by_the_providers_reference(uow, payment):
    await confirm(uow, payment)
    apply = dict(provider="sandbox", account_id=ACCOUNT, correlation_id=uuid.uuid4())

    first = await service.apply_report(uow, report=refund("r-1", "500.00", lookup_reference="txn-1"), **apply)
    late = await service.apply_report(uow, report=refund("r-0", "400.00", payment_id=payment.id), **apply)
    again = await service.apply_report(uow, report=refund("r-1", "500.00", payment_id=payment.id), **apply)
    rest = await service.apply_report(uow, report=refund("r-2", "1500.00", payment_id=payment.id), **apply)

    assert (first, late, again, rest) == (Outcome.REFUNDED, Outcome.NOTHING, Outcome.DUPLICATE, Outcome.REFUNDED)
    assert [e.amount for e in uow.outbox.of(PaymentRefunded)] == [Decimal("500.00"), Decimal("1000.00")]
    stored = uow.payments.stored(payment.id)
    assert (stored.status, stored.refunded_amount) == ("refunded", Decimal("1500.00"))


async def test_a_refund_without_an_amount_or_of_an_unknown_reference_is_refused(uow, payment):
    await confirm(uow, payment)
    with pytest.raises(AmountMismatch):
        await service.refund_payment(uow, provider="sandbox", account_id=ACCOUNT, correlation_id=uuid.uuid4(),
                                     report=ProviderReport(kind="refunded", event_id="r-1", payment_id=payment.id))
    with pytest.raises(PaymentNotFound):
        await service.refund_payment(uow, provider="sandbox", account_id=ACCOUNT, correlation_id=uuid.uuid4(),
                                     report=refund("r-2", "10.00", lookup_reference="someone-else"))
    assert uow.outbox.names() == ["PaymentSucceeded"]


async def test_an_expired_link_is_forgotten_only_if_it_is_the_current_one(uow, payment):
    other = ProviderReport(kind="expired", event_id="x-1", payment_id=payment.id, session_reference="old-page")
    current = ProviderReport(kind="expired", event_id="x-2", payment_id=payment.id,
                             session_reference="sandbox-page-1")
    apply = dict(provider="sandbox", account_id=ACCOUNT, correlation_id=uuid.uuid4())

    assert await service.apply_report(uow, report=other, **apply) is Outcome.NOTHING
    assert uow.payments.stored(payment.id).link_url == payment.link_url
    assert await service.apply_report(uow, report=current, **apply) is Outcome.NOTHING
    assert await service.apply_report(uow, report=current, **apply) is Outcome.DUPLICATE
    assert uow.payments.stored(payment.id).link_url is None and uow.outbox.events == []


async def test_a_report_is_applied_by_its_kind(uow, payment):
    apply = dict(provider="sandbox", account_id=ACCOUNT, correlation_id=uuid.uuid4())
    declined = ProviderReport(kind="declined", event_id="d-1", lookup_reference="sandbox-page-1", reason="no")
    succeeded = ProviderReport(kind="succeeded", event_id="s-1", payment_id=payment.id, amount=Decimal("1500.00"),
                               currency="UAH", provider_reference="txn-9", payload={"raw": "kept"})

    assert await service.apply_report(uow, report=declined, **apply) is Outcome.DECLINED
    assert await service.apply_report(uow, report=ProviderReport(kind="ignored", event_id="i-1"), **apply) \
        is Outcome.NOTHING
    with pytest.raises(PaymentNotFound):
        await service.apply_report(uow, report=ProviderReport(kind="succeeded", event_id="s-0"), **apply)
    assert await service.apply_report(uow, report=succeeded, **apply) is Outcome.PAID

    assert uow.outbox.names() == ["PaymentFailed", "PaymentSucceeded"]
    assert uow.provider_events.recorded["sandbox", "s-1"]["payload"] == {"raw": "kept"}
    assert uow.payments.stored(payment.id).provider_reference == "txn-9"
