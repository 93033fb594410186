"""The CRM's commands on the in-memory unit of work: add, edit, cancel, mark paid, resend, remind."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import PaymentCancelled, PaymentLinkIssued, PaymentSucceeded, ReminderRequested, utcnow
from payments import service
from payments.domain.payment import NotEditable, NotPayable, PaymentNotFound, PaymentPart, PlanInvalid
from servicekit.idempotency import Idempotent, IdempotencyKeyReused

DUE = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def order(uow, providers, order_created):
    """A sandbox order with its first payment linked; the outbox emptied."""
    created = order_created()
    await service.create_order_payments(uow, created, providers)
    uow.outbox.events.clear()
    return created


async def add(uow, order, providers, new: service.NewPayment, **kwargs):
    return await service.add_payment(uow, order.account_id, order.order_id, new, providers,
                                     correlation_id=uuid.uuid4(), **kwargs)


async def test_an_unpaid_payment_added_gets_the_next_number_a_link_and_reminders(uow, providers, order):
    payment, created = await add(uow, order, providers, service.NewPayment(amount=Decimal("250"), due_at=DUE))

    assert created and payment.number == 2 and payment.currency == "UAH" and payment.provider == "sandbox"
    assert uow.payments.stored(payment.id).link_url is not None
    assert uow.outbox.names() == ["PaymentLinkIssued"]
    assert uow.outbox.of(PaymentLinkIssued)[0].send_email is False
    assert uow.reminders.of(payment.id) != []


async def test_a_paid_payment_added_in_parts_is_told_with_who_took_it(uow, providers, order):
    parts = [PaymentPart(method="cash", amount=Decimal("100")), PaymentPart(method="card", amount=Decimal("50"))]
    payment, _ = await add(uow, order, providers, service.NewPayment(amount=Decimal("150"), status="paid",
                                                                     parts=parts), marked_by="user-7")

    stored = uow.payments.stored(payment.id)
    assert (stored.status, stored.method, stored.marked_by, stored.link_url) == ("paid", "cash", "user-7", None)
    (succeeded,) = uow.outbox.events
    assert isinstance(succeeded, PaymentSucceeded) and succeeded.marked_by == "user-7"


async def test_the_same_idempotency_key_gives_back_the_first_payment(uow, providers, order):
    key = Idempotent("k-1", "fingerprint")
    first, created = await add(uow, order, providers, service.NewPayment(amount=Decimal("10")), idempotency=key)
    again, created_again = await add(uow, order, providers, service.NewPayment(amount=Decimal("10")),
                                     idempotency=key)

    assert (created, created_again, again.id) == (True, False, first.id)
    assert len(await uow.payments.of_order(order.order_id)) == 2
    with pytest.raises(IdempotencyKeyReused):
        await add(uow, order, providers, service.NewPayment(amount=Decimal("11")),
                  idempotency=Idempotent("k-1", "another body"))


async def test_no_payment_goes_on_a_closed_or_unknown_order_or_through_an_unset_provider(uow, providers, order,
                                                                                        remote):
    with pytest.raises(service.OrderNotFound):
        await service.add_payment(uow, uuid.uuid4(), order.order_id, service.NewPayment(amount=Decimal("1")),
                                  providers, correlation_id=uuid.uuid4())
    remote.settings_model = dict
    with pytest.raises(PlanInvalid, match="no remotepay credentials"):
        await add(uow, order, providers, service.NewPayment(amount=Decimal("1"), provider=remote.name))
    with pytest.raises(PlanInvalid, match="parts are for a paid payment"):
        await add(uow, order, providers, service.NewPayment(
            amount=Decimal("1"), parts=[PaymentPart(method="cash", amount=Decimal("1"))]))
    with pytest.raises(PlanInvalid):
        await add(uow, order, providers, service.NewPayment(amount=Decimal("1"), provider="nobody_pay"))
    state = await uow.orders.get(order.order_id)
    uow.orders.saved[order.order_id] = type(state)(**{**state.__dict__, "status": "cancelled"})
    with pytest.raises(service.OrderClosed):
        await add(uow, order, providers, service.NewPayment(amount=Decimal("1")))
    assert len(await uow.payments.of_order(order.order_id)) == 1 and uow.outbox.events == []


async def first_of(uow, order):
    (payment,) = await uow.payments.of_order(order.order_id)
    return payment


async def test_cancelling_ends_the_link_requests_and_reminders_once(uow, providers, order):
    payment = await first_of(uow, order)
    await uow.reminders.add(payment, DUE, [(24, DUE - timedelta(hours=24))])

    for _ in range(2):
        await service.edit_payment(uow, order.account_id, payment.id, {"status": "cancelled"}, providers,
                                   correlation_id=uuid.uuid4())

    assert uow.payments.stored(payment.id).status == "cancelled"
    assert uow.reminders.of(payment.id) == [] and len(uow.outbox.of(PaymentCancelled)) == 1
    with pytest.raises(NotEditable):
        await service.edit_payment(uow, order.account_id, payment.id, {"status": "paid"}, providers,
                                   correlation_id=uuid.uuid4())


async def test_a_new_amount_replaces_the_link_quietly_and_a_new_date_replans_reminders(uow, providers, order):
    payment = await first_of(uow, order)

    edited = await service.edit_payment(uow, order.account_id, payment.id,
                                        {"amount": Decimal("1400.00"), "due_at": DUE, "comment": "discount"},
                                        providers, correlation_id=uuid.uuid4())

    stored = uow.payments.stored(payment.id)
    assert (stored.amount, stored.comment, stored.due_at, stored.link_generation) == (
        Decimal("1400.00"), "discount", DUE, 2)
    assert edited.link_url is not None
    (issued,) = uow.outbox.events
    assert isinstance(issued, PaymentLinkIssued) and issued.amount == Decimal("1400.00") and not issued.send_email
    assert uow.reminders.of(payment.id) != []


async def test_mark_paid_by_hand_once_and_only_for_the_school(uow, providers, order):
    payment = await first_of(uow, order)
    with pytest.raises(PaymentNotFound):
        await service.mark_paid(uow, uuid.uuid4(), payment.id, comment="cash", correlation_id=uuid.uuid4())

    await service.mark_paid(uow, order.account_id, payment.id, comment="cash", method="cash", marked_by="user-1",
                            correlation_id=uuid.uuid4())
    with pytest.raises(NotPayable):
        await service.mark_paid(uow, order.account_id, payment.id, comment="again", correlation_id=uuid.uuid4())

    stored = uow.payments.stored(payment.id)
    assert (stored.status, stored.method, stored.comment, stored.marked_by) == ("paid", "cash", "cash", "user-1")
    (succeeded,) = uow.outbox.events
    assert isinstance(succeeded, PaymentSucceeded) and succeeded.marked_by == "user-1"


async def test_send_link_and_remind_reuse_a_working_link(uow, providers, order):
    payment = await first_of(uow, order)

    await service.send_link(uow, order.account_id, payment.id, providers, correlation_id=uuid.uuid4())
    await service.remind(uow, order.account_id, payment.id, providers, correlation_id=uuid.uuid4())

    assert uow.outbox.names() == ["PaymentLinkIssued", "ReminderRequested"]
    assert uow.outbox.of(PaymentLinkIssued)[0].send_email is True
    assert uow.outbox.of(ReminderRequested)[0].reason == "manual"
    assert uow.payments.stored(payment.id).link_generation == 1


async def test_an_expired_link_is_replaced_before_it_is_sent(uow, providers, remote, order_created):
    created = order_created(provider=remote.name)
    await service.create_order_payments(uow, created, providers)
    payment = await first_of(uow, created)
    payment.link_url, payment.link_expires_at = "https://remotepay.test/old", utcnow() - timedelta(minutes=1)
    await uow.payments.save(payment)

    await service.remind(uow, created.account_id, payment.id, providers, correlation_id=uuid.uuid4())

    assert uow.outbox.events == []  # the worker emits them once the fresh link exists
    assert {(r.purpose, r.generation) for r in await uow.link_requests.pending(payment.id)} == {
        ("link", 2), ("reminder_manual", 2)}


async def test_a_paid_payment_has_no_link_to_send(uow, providers, order):
    payment = await first_of(uow, order)
    await service.mark_paid(uow, order.account_id, payment.id, comment="cash", correlation_id=uuid.uuid4())

    with pytest.raises(NotPayable, match="only an unpaid cashless payment has a link"):
        await service.send_link(uow, order.account_id, payment.id, providers, correlation_id=uuid.uuid4())
