"""The orders service's events on payments, on the in-memory unit of work: a new order's payments
and first link, and an updated or closed order."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from contracts import OrderUpdated, PaymentCancelled, PaymentLinkIssued, PaymentSucceeded, PlannedPayment
from payments import service
from payments.domain.reminders import DEFAULT_OFFSETS_HOURS
from servicekit.errors import NotYet, Rejected

DUE = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def updated(order, *, version: int = 2, status: str = "active", account_id=None, **changes) -> OrderUpdated:
    event = OrderUpdated.caused_by(
        order, order_id=order.order_id,
        order_number=changes.get("order_number", order.order_number), order_version=version, status=status,
        contact_id=order.contact_id, contact=changes.get("contact", order.contact), currency=order.currency,
        lines=order.lines, discount=order.discount, total=order.total, changed=["status"],
    )
    return event if account_id is None else event.model_copy(update={"account_id": account_id})


async def test_a_new_order_gets_its_plan_and_a_link_for_the_first_payment(uow, providers, order_created):
    order = order_created(plan=[("regular", "1000.00"), ("regular", "500.00")])

    await service.create_order_payments(uow, order, providers)

    first, second = await uow.payments.of_order(order.order_id)
    assert [(p.number, p.amount, p.status) for p in (first, second)] == [
        (1, Decimal("1000.00"), "unpaid"), (2, Decimal("500.00"), "unpaid")]
    assert first.link_url == f"http://pay.school.test/sandbox/pay/{first.id}" and first.link_generation == 1
    assert second.link_url is None
    (issued,) = uow.outbox.events
    assert isinstance(issued, PaymentLinkIssued)
    assert (issued.payment_id, issued.send_email, issued.causation_id, issued.correlation_id) == (
        first.id, True, order.event_id, order.correlation_id)
    state = await uow.orders.get(order.order_id)
    assert state is not None and state.description == "Kyiv Code School, order 42"
    # The second payment has a planned date: its reminders are planned with the default schedule.
    assert [offset for offset, _ in uow.reminders.of(second.id)] == sorted(DEFAULT_OFFSETS_HOURS)


async def test_the_link_email_is_sent_only_when_the_order_asks(uow, providers, order_created):
    await service.create_order_payments(uow, order_created(send_payment_link=False), providers)

    (issued,) = uow.outbox.of(PaymentLinkIssued)
    assert issued.send_email is False


async def test_a_provider_without_inline_links_leaves_the_link_to_the_worker(uow, providers, remote,
                                                                           order_created):
    order = order_created(provider=remote.name)

    await service.create_order_payments(uow, order, providers)

    (payment,) = await uow.payments.of_order(order.order_id)
    assert payment.link_url is None and payment.link_generation == 1
    (request,) = await uow.link_requests.pending(payment.id)
    assert (request.purpose, request.send_email, request.generation, request.causation_id) == (
        "link", True, 1, order.event_id)
    assert uow.outbox.events == [] and remote.asked == [] and uow.link_requests.notices == 1


async def test_an_order_already_paid_in_part_tells_the_order_once(uow, providers, order_created):
    paid_at = datetime(2029, 12, 1, tzinfo=UTC)
    order = order_created(payments=[
        PlannedPayment(type="regular", amount=Decimal("300.00"), method="cash", paid_at=paid_at),
        PlannedPayment(type="regular", amount=Decimal("700.00"), due_at=DUE),
    ])

    await service.create_order_payments(uow, order, providers)

    cash, rest = await uow.payments.of_order(order.order_id)
    assert (cash.status, cash.link_url, rest.status) == ("paid", None, "unpaid")
    assert uow.outbox.names() == ["PaymentLinkIssued", "PaymentSucceeded"]
    (succeeded,) = uow.outbox.of(PaymentSucceeded)
    assert (succeeded.payment_id, succeeded.amount, succeeded.method, succeeded.paid_at) == (
        cash.id, Decimal("300.00"), "cash", paid_at)
    assert uow.reminders.of(cash.id) == [] and uow.reminders.of(rest.id) != []


async def test_the_same_order_under_another_event_id_changes_nothing(uow, providers, order_created):
    order = order_created()
    await service.create_order_payments(uow, order, providers)
    before = dict(uow.payments.saved)

    again = order.model_copy(update={"event_id": uuid.uuid4()})
    await service.create_order_payments(uow, again, providers)

    assert uow.payments.saved == before and len(uow.outbox.events) == 1


@pytest.mark.parametrize("provider", ["nobody_pay", "sandbox"])
async def test_an_order_that_cannot_be_paid_is_rejected_with_nothing_written(uow, providers, order_created,
                                                                             provider):
    # No such provider, or a plan the currency cannot hold (yen have no cents).
    order = order_created(provider=provider, currency="JPY", plan=[("regular", "1500.50")]) \
        if provider == "sandbox" else order_created(provider=provider)

    with pytest.raises(Rejected, match=str(order.order_id)):
        await service.create_order_payments(uow, order, providers)

    assert uow.payments.saved == {} and uow.orders.saved == {} and uow.outbox.events == []


async def test_an_update_keeps_the_newer_picture_of_the_order(uow, providers, order_created):
    order = order_created()
    await service.create_order_payments(uow, order, providers)
    contact = order.contact.model_copy(update={"name": "Olena K."})

    await service.apply_order_update(uow, updated(order, version=3, contact=contact, order_number=43))
    await service.apply_order_update(uow, updated(order, version=2, order_number=44))  # older: ignored

    state = await uow.orders.get(order.order_id)
    assert (state.version, state.order_number, state.contact.name) == (3, 43, "Olena K.")
    assert uow.outbox.names() == ["PaymentLinkIssued"]


async def test_an_update_of_an_unknown_order_waits_and_of_another_schools_is_rejected(uow, providers,
                                                                                       order_created):
    order = order_created()
    with pytest.raises(NotYet):
        await service.apply_order_update(uow, updated(order))

    await service.create_order_payments(uow, order, providers)
    with pytest.raises(Rejected, match="another account"):
        await service.apply_order_update(uow, updated(order, account_id=uuid.uuid4()))


@pytest.mark.parametrize("status", ["cancelled", "expired"])
async def test_a_closed_order_ends_its_unpaid_payments(uow, providers, remote, order_created, status):
    paid_at = datetime(2029, 12, 1, tzinfo=UTC)
    order = order_created(provider=remote.name, payments=[
        PlannedPayment(type="regular", amount=Decimal("300.00"), method="cash", paid_at=paid_at),
        PlannedPayment(type="regular", amount=Decimal("400.00")),
        PlannedPayment(type="regular", amount=Decimal("500.00"), due_at=DUE),
    ])
    await service.create_order_payments(uow, order, providers)
    cash, first, planned = await uow.payments.of_order(order.order_id)
    uow.outbox.events.clear()

    closing = updated(order, status=status)
    await service.apply_order_update(uow, closing)

    assert [p.status for p in await uow.payments.of_order(order.order_id)] == ["paid", "cancelled", "cancelled"]
    assert await uow.link_requests.pending(first.id) == []
    assert uow.reminders.of(planned.id) == [] and uow.reminders.of(planned.id, "stopped") != []
    cancelled = uow.outbox.of(PaymentCancelled)
    assert [(e.payment_id, e.causation_id) for e in cancelled] == [(first.id, closing.event_id),
                                                                   (planned.id, closing.event_id)]
    assert len(uow.outbox.events) == 2


async def test_find_order_by_id_or_number_of_the_school_only(uow, providers, order_created):
    order = order_created()
    await service.create_order_payments(uow, order, providers)

    assert await service.find_order(uow, order.account_id, order.order_id) == order.order_id
    assert await service.find_order(uow, order.account_id, order.order_number) == order.order_id
    with pytest.raises(service.OrderNotFound):
        await service.find_order(uow, uuid.uuid4(), order.order_id)
