"""A provider's report in few statements, on real PostgreSQL: the payment locked and the report
recorded in one, the settled payment (paid, or cancelled) saved with its reminders and wanted links
in one; and still each report applied once, a racing one after the first, one about no payment of
the provider and school changing nothing."""

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from contracts import OrderUpdated, PlannedPayment
from payments import service
from payments.adapters.unit_of_work import SqlUnitOfWork
from payments.domain.payment import AmountMismatch, Outcome, PaymentNotFound
from payments.domain.reports import ProviderReport
from payments.main import providers_from
from servicekit.statements import tallied
from sqlalchemy import text

DUE = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


async def scalar(app, sql: str, **params):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def first_payment(app, order) -> uuid.UUID:
    return await scalar(app, "SELECT id FROM payments WHERE order_id = :o AND number = 1", o=order.order_id)


def ev(payment_id, name: str) -> str:
    """An event id of this payment's (event ids are unique per provider across every test here)."""
    return f"{name}:{payment_id}"


async def confirm(app, payment: uuid.UUID, event: str = "evt-1", **overrides) -> Outcome:
    arguments = dict(provider="sandbox", provider_event_id=ev(payment, event), payment_id=payment,
                     amount=Decimal("1500.00"), currency="UAH", provider_reference=f"txn-{event}",
                     correlation_id=uuid.uuid4())
    async with SqlUnitOfWork.begin(app.state.engine) as uow:
        return await service.confirm_payment(uow, **{**arguments, **overrides})


async def events_of(app, payment_id) -> int:
    return await scalar(app, "SELECT count(*) FROM provider_events WHERE payment_id = :p", p=payment_id)


async def succeeded(app, payment_id) -> int:
    return await scalar(app, "SELECT count(*) FROM outbox WHERE topic = 'PaymentSucceeded' "
                             "AND payload->>'payment_id' = :p", p=str(payment_id))


@pytest.fixture
async def planned(client_app, place_order):
    """An unpaid sandbox payment with a planned date (so pending reminders) and a link wanted for it."""
    _, app = client_app
    order = await place_order(payments=[PlannedPayment(type="regular", amount=Decimal("1500.00"), due_at=DUE)])
    payment_id = await first_payment(app, order)
    async with SqlUnitOfWork.begin(app.state.engine) as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        await uow.link_requests.want(payment, purpose="reminder_manual", send_email=False,
                                     correlation_id=uuid.uuid4(), causation_id=None)
    assert await scalar(app, "SELECT count(*) FROM reminders WHERE payment_id = :p AND status = 'pending'",
                        p=payment_id) > 0
    return payment_id


async def test_a_confirmation_is_three_statements_and_settles_the_payment_with_its_reminders(client_app, planned):
    _, app = client_app
    with tallied("confirmation") as tally:
        assert await confirm(app, planned) is Outcome.PAID
    assert tally.count == 3  # lock and record, save the settled payment, the outbox

    assert await scalar(app, "SELECT status FROM payments WHERE id = :p", p=planned) == "paid"
    assert await scalar(app, "SELECT count(*) FROM reminders WHERE payment_id = :p AND status = 'pending'",
                        p=planned) == 0
    assert await scalar(app, "SELECT count(*) FROM link_requests WHERE payment_id = :p", p=planned) == 0
    assert await succeeded(app, planned) == 1


async def test_a_replayed_confirmation_is_one_statement_and_changes_nothing(client_app, planned):
    _, app = client_app
    assert await confirm(app, planned) is Outcome.PAID
    with tallied("replay") as tally:
        assert await confirm(app, planned) is Outcome.DUPLICATE
    assert tally.count == 1
    assert await confirm(app, planned, "evt-2") is Outcome.ALREADY_PAID  # another event, the same news

    assert await events_of(app, planned) == 2 and await succeeded(app, planned) == 1
    assert await scalar(app, "SELECT provider_reference FROM payments WHERE id = :p", p=planned) == "txn-evt-1"


async def test_a_confirmation_of_the_wrong_amount_keeps_nothing(client_app, planned):
    _, app = client_app
    with pytest.raises(AmountMismatch):
        await confirm(app, planned, amount=Decimal("1499.99"))
    assert await events_of(app, planned) == 0  # the report went with the transaction
    assert await scalar(app, "SELECT status FROM payments WHERE id = :p", p=planned) == "unpaid"


@pytest.mark.parametrize("who", ["another provider", "another school", "no such payment"])
async def test_a_report_about_no_payment_of_the_provider_and_school_records_nothing(client_app, planned, who):
    _, app = client_app
    overrides = {
        "another provider": {"provider": "stripe"},
        "another school": {"account_id": uuid.uuid4()},
        "no such payment": {"payment_id": uuid.uuid4()},
    }[who]
    with pytest.raises(PaymentNotFound):
        await confirm(app, planned, f"evt-{who}", **overrides)
    assert await scalar(app, "SELECT count(*) FROM provider_events WHERE event_id = :e",
                        e=ev(planned, f"evt-{who}")) == 0
    assert await scalar(app, "SELECT status FROM payments WHERE id = :p", p=planned) == "unpaid"


async def _waiting_for_a_lock(app) -> None:
    async with asyncio.timeout(10):
        while not await scalar(app, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND datname = current_database()"):
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("second_event", ["evt-1", "evt-2"], ids=["the same event", "another event"])
async def test_a_confirmation_racing_another_waits_for_it_and_pays_once(client_app, planned, second_event):
    _, app = client_app
    async with SqlUnitOfWork.begin(app.state.engine) as uow:
        first = await service.confirm_payment(
            uow, provider="sandbox", provider_event_id=ev(planned, "evt-1"), payment_id=planned,
            amount=Decimal("1500.00"), currency="UAH", provider_reference="txn-evt-1", correlation_id=uuid.uuid4(),
        )
        # The other one starts while this one holds the payment, and waits for its commit.
        racing = asyncio.create_task(confirm(app, planned, second_event))
        await _waiting_for_a_lock(app)
        assert not racing.done()
    second = await racing

    assert first is Outcome.PAID
    assert second is (Outcome.DUPLICATE if second_event == "evt-1" else Outcome.ALREADY_PAID)
    assert await succeeded(app, planned) == 1
    assert await events_of(app, planned) == (1 if second_event == "evt-1" else 2)


async def test_a_decline_is_three_statements_counts_the_try_and_is_applied_once(client_app, planned):
    _, app = client_app
    account_id = await scalar(app, "SELECT account_id FROM payments WHERE id = :p", p=planned)

    async def decline(event_id: str, **named) -> Outcome:
        async with SqlUnitOfWork.begin(app.state.engine) as uow:
            return await service.decline_payment(uow, provider="sandbox", provider_event_id=ev(planned, event_id),
                                                 reason="card expired", account_id=account_id, **named)

    with tallied("decline") as tally:
        assert await decline("d-1", payment_id=planned) is Outcome.DECLINED
    assert tally.count == 3  # lock and record, save, the outbox
    assert await decline("d-1", payment_id=planned) is Outcome.DUPLICATE
    # Named by the provider's reference (the sandbox's page), the payment is found the same way.
    reference = await scalar(app, "SELECT provider_reference FROM payments WHERE id = :p", p=planned)
    assert await decline("d-2", payment_id=None, reference=reference) is Outcome.DECLINED
    with pytest.raises(PaymentNotFound):
        await decline("d-3", payment_id=None, reference="someone-else")

    async with app.state.engine.connect() as conn:
        row = (await conn.execute(text("SELECT status, attempts, last_failure FROM payments WHERE id = :p"),
                                  {"p": planned})).one()
        kept = (await conn.execute(text("SELECT event_id, kind, payload->>'reason' FROM provider_events "
                                        "WHERE payment_id = :p ORDER BY id"), {"p": planned})).all()
    assert tuple(row) == ("unpaid", 2, "card expired")
    assert [tuple(k) for k in kept] == [(ev(planned, "d-1"), "payment.declined", "card expired"),
                                        (ev(planned, "d-2"), "payment.declined", "card expired")]
    assert await scalar(app, "SELECT count(*) FROM outbox WHERE topic = 'PaymentFailed' "
                             "AND payload->>'payment_id' = :p", p=str(planned)) == 2


async def test_a_refund_and_an_expiry_found_by_reference_are_one_lock_and_record(client_app, planned):
    _, app = client_app
    account_id = await scalar(app, "SELECT account_id FROM payments WHERE id = :p", p=planned)
    reference = await scalar(app, "SELECT provider_reference FROM payments WHERE id = :p", p=planned)
    await confirm(app, planned)
    apply = dict(provider="sandbox", account_id=account_id, correlation_id=uuid.uuid4())

    async def report(found: ProviderReport) -> Outcome:
        async with SqlUnitOfWork.begin(app.state.engine) as uow:
            return await service.apply_report(uow, report=found, **apply)

    refund = ProviderReport(kind="refunded", event_id=ev(planned, "r-1"), lookup_reference="txn-evt-1",
                            amount=Decimal("500.00"), currency="UAH")
    assert await report(refund) is Outcome.REFUNDED
    assert await report(refund) is Outcome.DUPLICATE
    expired = ProviderReport(kind="expired", event_id=ev(planned, "x-1"), payment_id=planned,
                             session_reference=reference)
    assert await report(expired) is Outcome.NOTHING
    assert await scalar(app, "SELECT refunded_amount FROM payments WHERE id = :p", p=planned) == Decimal("500.00")
    assert await events_of(app, planned) == 3


async def _open_ends(app, payment_id) -> tuple[int, int]:
    """The payment's pending reminders and the links still wanted for it."""
    return (
        await scalar(app, "SELECT count(*) FROM reminders WHERE payment_id = :p AND status = 'pending'",
                     p=payment_id),
        await scalar(app, "SELECT count(*) FROM link_requests WHERE payment_id = :p", p=payment_id),
    )


async def test_a_cancelled_payment_is_saved_with_its_reminders_stopped_and_links_dropped(client_app, planned):
    _, app = client_app
    account_id = await scalar(app, "SELECT account_id FROM payments WHERE id = :p", p=planned)
    with tallied("cancel") as tally:
        async with SqlUnitOfWork.begin(app.state.engine) as uow:
            await service.edit_payment(uow, account_id, planned, {"status": "cancelled"},
                                       providers_from(app.state.settings), correlation_id=uuid.uuid4())
    assert tally.count == 3  # the payment locked, saved with its reminders and links, the outbox
    assert await scalar(app, "SELECT status FROM payments WHERE id = :p", p=planned) == "cancelled"
    assert await _open_ends(app, planned) == (0, 0)


async def test_a_cancelled_orders_unpaid_payments_end_with_their_reminders_and_links(client_app, place_order):
    _, app = client_app
    order = await place_order(payments=[PlannedPayment(type="regular", amount=Decimal("1500.00"), due_at=DUE),
                                        PlannedPayment(type="regular", amount=Decimal("700.00"), due_at=DUE)])
    ids = [await scalar(app, "SELECT id FROM payments WHERE order_id = :o AND number = :n", o=order.order_id, n=n)
           for n in (1, 2)]
    async with SqlUnitOfWork.begin(app.state.engine) as uow:
        for payment_id in ids:
            payment = await uow.payments.get(payment_id)
            assert payment is not None
            await uow.link_requests.want(payment, purpose="reminder_manual", send_email=False,
                                         correlation_id=uuid.uuid4(), causation_id=None)
    cancelled = OrderUpdated.caused_by(
        order, order_id=order.order_id, order_number=order.order_number, order_version=2, status="cancelled",
        contact_id=order.contact_id, contact=order.contact, currency=order.currency, lines=order.lines,
        discount=order.discount, total=order.total, changed=["status"],
    )
    async with SqlUnitOfWork.begin(app.state.engine) as uow:
        await service.apply_order_update(uow, cancelled)

    for payment_id in ids:
        assert await scalar(app, "SELECT status FROM payments WHERE id = :p", p=payment_id) == "cancelled"
        assert await _open_ends(app, payment_id) == (0, 0)
    assert await scalar(app, "SELECT count(*) FROM outbox WHERE topic = 'PaymentCancelled' "
                             "AND payload->>'order_id' = :o", o=str(order.order_id)) == 2
