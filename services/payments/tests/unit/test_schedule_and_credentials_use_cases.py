"""Reminders, overdue payments and the schools' provider credentials, on the in-memory unit of work."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from contracts import PaymentOverdue, PaymentProvidersUpdated, ReminderRequested, utcnow
from payments import service
from payments.domain.payment import Payment
from payments.domain.providers import ProviderNotSetUp
from payments.domain.reminders import ScheduleInvalid
from pydantic import BaseModel, ValidationError

ACCOUNT = uuid.uuid4()


def unpaid(uow, *, due_in: timedelta | None, provider: str = "sandbox", **fields) -> Payment:
    return uow.payments.put(Payment(
        account_id=ACCOUNT, order_id=fields.pop("order_id", uuid.uuid4()), number=1, amount=Decimal("100.00"),
        currency="UAH", provider=provider, due_at=None if due_in is None else utcnow() + due_in, **fields,
    ))


async def test_a_schools_schedule_replans_every_unpaid_planned_payment(uow):
    planned = unpaid(uow, due_in=timedelta(days=10))
    unplanned = unpaid(uow, due_in=None)
    await service.plan_reminders(uow, planned)
    assert [o for o, _ in uow.reminders.of(planned.id)] == [-72, -24, 24, 72]

    offsets = await service.set_reminder_schedule(uow, ACCOUNT, [48, -48, 48])

    assert offsets == [-48, 48] and await service.schedule.offsets_of(uow, ACCOUNT) == [-48, 48]
    assert [o for o, _ in uow.reminders.of(planned.id)] == [-48, 48]
    assert uow.reminders.of(unplanned.id) == []
    with pytest.raises(ScheduleInvalid):
        await service.set_reminder_schedule(uow, ACCOUNT, [24 * 400])


async def test_reminders_whose_moment_passed_are_not_planned(uow):
    soon = unpaid(uow, due_in=timedelta(hours=30))

    await service.plan_reminders(uow, soon)

    assert [o for o, _ in uow.reminders.of(soon.id)] == [-24, 24, 72]


async def test_a_due_reminder_goes_out_once_with_the_link_it_has(uow, providers):
    payment = unpaid(uow, due_in=timedelta(hours=1), link_url="http://pay.school.test/x", correlation_id=uuid.uuid4())
    await uow.reminders.add(payment, payment.due_at, [(-24, utcnow() - timedelta(minutes=1))])

    assert await service.send_due_reminders(uow.begin, providers) == 1
    assert await service.send_due_reminders(uow.begin, providers) == 0

    (reminder,) = uow.outbox.events
    assert isinstance(reminder, ReminderRequested) and reminder.reason == "scheduled"
    assert reminder.correlation_id == payment.correlation_id
    assert uow.reminders.of(payment.id, "sent") == [(-24, payment.due_at)]


async def test_a_due_reminder_of_a_moved_or_settled_payment_stops(uow, providers):
    moved = unpaid(uow, due_in=timedelta(hours=1), link_url="http://pay.school.test/x")
    await uow.reminders.add(moved, moved.due_at - timedelta(days=1), [(-24, utcnow() - timedelta(minutes=1))])
    paid = unpaid(uow, due_in=timedelta(hours=1), status="paid")
    await uow.reminders.add(paid, paid.due_at, [(-24, utcnow() - timedelta(minutes=1))])

    assert await service.send_due_reminders(uow.begin, providers) == 2

    assert uow.outbox.events == []
    assert len(uow.reminders.of(moved.id, "stopped")) == len(uow.reminders.of(paid.id, "stopped")) == 1


async def test_a_due_reminder_without_a_working_link_asks_for_one(uow, providers, remote, order_created):
    order = order_created(provider=remote.name)
    await service.create_order_payments(uow, order, providers)
    (payment,) = await uow.payments.of_order(order.order_id)
    payment.due_at = utcnow() + timedelta(hours=1)
    await uow.payments.save(payment)
    await uow.reminders.add(payment, payment.due_at, [(-24, utcnow() - timedelta(minutes=1))])

    await service.send_due_reminders(uow.begin, providers)

    assert {r.purpose for r in await uow.link_requests.pending(payment.id)} == {"link", "reminder_scheduled"}
    assert uow.reminders.of(payment.id, "sent") != [] and uow.outbox.events == []


async def test_overdue_payments_are_announced_once_per_planned_date(uow):
    late = unpaid(uow, due_in=-timedelta(days=1))
    unpaid(uow, due_in=timedelta(days=1))

    assert await service.mark_overdue(uow.begin) == 1
    assert await service.mark_overdue(uow.begin) == 0

    (overdue,) = uow.outbox.events
    assert isinstance(overdue, PaymentOverdue) and overdue.payment_id == late.id
    assert uow.payments.stored(late.id).overdue_notified_at is not None


class Settings(BaseModel):
    key: str
    mode: str = "live"
    note: str | None = None


async def test_credentials_set_are_announced_with_the_schools_providers(uow, remote):
    await service.set_credentials(uow, ACCOUNT, "stripe", {"key": "s"}, correlation_id=uuid.uuid4())
    await service.set_credentials(uow, ACCOUNT, remote.name, {"key": "r"}, correlation_id=uuid.uuid4())

    assert [e.providers for e in uow.outbox.of(PaymentProvidersUpdated)] == [["stripe"], ["remotepay", "stripe"]]
    assert await uow.credentials.get(ACCOUNT, "stripe") == {"key": "s"}


async def test_a_change_keeps_what_is_not_sent_and_must_leave_whole_settings(uow, remote):
    remote.settings_model = Settings
    with pytest.raises(ProviderNotSetUp):
        await service.change_credentials(uow, ACCOUNT, remote, {"mode": "test"}, correlation_id=uuid.uuid4())

    await service.set_credentials(uow, ACCOUNT, remote.name, {"key": "secret", "note": "n"},
                                  correlation_id=uuid.uuid4())
    changed = await service.change_credentials(uow, ACCOUNT, remote, {"mode": "test", "note": None},
                                               correlation_id=uuid.uuid4())

    assert changed == {"key": "secret", "mode": "test"} == await uow.credentials.get(ACCOUNT, remote.name)
    with pytest.raises(ValidationError):
        await service.change_credentials(uow, ACCOUNT, remote, {"key": None}, correlation_id=uuid.uuid4())
    assert len(uow.outbox.events) == 2


async def test_every_school_is_announced_again(uow):
    other = uuid.uuid4()
    await uow.credentials.put(ACCOUNT, "stripe", {})
    await uow.credentials.put(other, "wayforpay", {})
    await uow.credentials.put(other, "stripe", {})

    assert await service.announce_all(uow, correlation_id=uuid.uuid4()) == 2

    assert {e.account_id: e.providers for e in uow.outbox.events} == {
        ACCOUNT: ["stripe"], other: ["stripe", "wayforpay"]}
