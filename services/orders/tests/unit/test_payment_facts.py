"""The payment facts as use cases on the in-memory unit of work."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import (
    AccessChanged, NotificationSent, OrderUpdated, PaymentCancelled, PaymentOverdue, PaymentRefunded,
    PaymentSucceeded,
)
from orders.service import notifications, payments
from servicekit.errors import Rejected

AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


def paid(order, amount, **extra) -> PaymentSucceeded:
    return PaymentSucceeded(account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.id,
                            payment_id=extra.pop("payment_id", uuid.uuid4()), amount=Decimal(amount),
                            currency=extra.pop("currency", "UAH"), paid_at=extra.pop("paid_at", AN_HOUR_AGO), **extra)


def overdue(order, payment_id, amount="400.00") -> PaymentOverdue:
    return PaymentOverdue(account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.id,
                          payment_id=payment_id, amount=Decimal(amount), currency="UAH",
                          due_at=datetime.now(UTC) - timedelta(days=1), closes_access=True)


async def test_a_first_payment_is_counted_once_and_opens_access(uow, school, new_order):
    order = new_order()
    event = paid(order, "600.00", provider="stripe")
    await payments.count_payment(uow, event)
    await payments.count_payment(uow, event.model_copy(update={"event_id": uuid.uuid4()}))
    saved = uow.orders.saved[order.id]
    assert (saved.paid, saved.payment_status, saved.version) == (Decimal("600.00"), "partially_paid", 2)
    assert saved.first_paid_at == AN_HOUR_AGO and saved.paid_at is None
    assert uow.orders.payments == [event.payment_id]
    [(_, actor, kind, details)] = uow.orders.history
    assert (actor, kind, details["summary"]) == ("stripe", "payment_received", "paid through stripe")
    [updated] = uow.outbox.of(OrderUpdated)
    assert (updated.order_version, updated.changed) == (2, ["paid", "payment_status"])
    assert [(e.status, e.reason) for e in uow.outbox.of(AccessChanged)] == [("open", "paid")] * 2


async def test_the_full_payment_moves_an_active_order_only(uow, school, new_order):
    active, cancelled = new_order(), new_order(state="cancelled", stage_id=school.stages[3])
    for order in (active, cancelled):
        await payments.count_payment(uow, paid(order, "1000.00", marked_by="manager-3"))
    assert uow.orders.saved[active.id].stage_id == school.stages[2]
    assert uow.orders.saved[cancelled.id].stage_id == school.stages[3]
    assert all(uow.orders.saved[o.id].paid_at == AN_HOUR_AGO for o in (active, cancelled))
    assert {h[1] for h in uow.orders.history} == {"manager-3"}


async def test_money_in_another_currency_or_for_no_order_is_rejected(uow, school, new_order):
    order = new_order()
    with pytest.raises(Rejected):
        await payments.count_payment(uow, paid(order, "10.00", currency="USD"))
    with pytest.raises(Rejected):
        await payments.count_payment(uow, paid(order, "10.00").model_copy(update={"order_id": uuid.uuid4()}))
    assert uow.orders.saves == 0 and not uow.outbox.events


async def test_an_overdue_payment_holds_access_until_it_is_paid_and_names_the_next_one(uow, school, new_order):
    order = new_order()
    await payments.count_payment(uow, paid(order, "200.00"))
    first, second = uuid.uuid4(), uuid.uuid4()
    uow.outbox.events.clear()
    await payments.hold_access_for_overdue(uow, overdue(order, first))
    [updated] = uow.outbox.of(OrderUpdated)
    assert updated.changed == ["access_suspended"]
    suspended = uow.outbox.of(AccessChanged)
    assert {(e.status, e.reason, e.overdue_payment_id, e.overdue_amount) for e in suspended} == {
        ("suspended", "overdue", first, Decimal("400.00"))}
    uow.outbox.events.clear()
    await payments.hold_access_for_overdue(uow, overdue(order, second, "300.00"))
    assert not uow.outbox.events  # access is already suspended: nothing on the card moved
    await payments.count_payment(uow, paid(order, "400.00", payment_id=first))
    assert {(e.status, e.reason, e.overdue_payment_id) for e in uow.outbox.of(AccessChanged)} == {
        ("suspended", "overdue", second)}
    uow.outbox.events.clear()
    await payments.drop_cancelled_payment(uow, PaymentCancelled(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.id, payment_id=second,
        amount=Decimal("300.00"), currency="UAH"))
    assert {(e.status, e.reason) for e in uow.outbox.of(AccessChanged)} == {("open", "resumed")}
    assert list(uow.orders.saved[order.id].holds) == []
    assert [h[2] for h in uow.orders.history] == [
        "payment_received", "payment_overdue", "payment_overdue", "payment_received", "payment_cancelled"]


async def test_everything_given_back_revokes_access(uow, school, new_order):
    order = new_order()
    await payments.count_payment(uow, paid(order, "1000.00"))
    uow.outbox.events.clear()
    await payments.count_refund(uow, PaymentRefunded(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.id, payment_id=uuid.uuid4(),
        amount=Decimal("5000.00"), currency="UAH", refunded_at=datetime.now(UTC)))
    saved = uow.orders.saved[order.id]
    assert (saved.refunded, saved.payment_status) == (Decimal("1000.00"), "refunded")
    [updated] = uow.outbox.of(OrderUpdated)
    assert updated.changed == ["paid", "payment_status", "refunded"]
    assert {(e.status, e.reason) for e in uow.outbox.of(AccessChanged)} == {("revoked", "refunded")}


async def test_a_notification_lands_in_the_history_of_a_known_order_only(uow, school, new_order):
    order = new_order()

    def sent(order_id):
        return NotificationSent(account_id=order.account_id, correlation_id=uuid.uuid4(), delivery_id=uuid.uuid4(),
                                order_id=order_id, template="receipt", recipient="olena@example.com", locale="uk",
                                subject="Receipt", attempts=1, sent_at=datetime.now(UTC))

    known = sent(order.id)
    await notifications.note_email_sent(uow, known)
    await notifications.note_email_sent(uow, sent(None))
    with pytest.raises(Rejected):
        await notifications.note_email_sent(uow, sent(uuid.uuid4()))
    assert [(h[1], h[2]) for h in uow.orders.history] == [("system", "email_sent")]
    # The entry names its delivery: the card opens that email and sends it again.
    assert uow.orders.history[0][3]["delivery_id"] == known.delivery_id
