"""The order aggregate's own rules, without any use case around it."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from contracts import AccessChanged, PaymentOverdue, PaymentSucceeded
from orders.domain.access import AccessWindow
from orders.domain.actor import Actor

NOW = datetime.now(UTC)


def paid(order, amount, paid_at, payment_id=None) -> PaymentSucceeded:
    return PaymentSucceeded(account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.id,
                            payment_id=payment_id or uuid.uuid4(), amount=Decimal(amount), currency="UAH",
                            paid_at=paid_at)


def test_windows_hang_on_the_earliest_money_whatever_order_the_facts_arrive_in(new_order):
    order = new_order()
    later, earlier = NOW - timedelta(hours=1), NOW - timedelta(days=2)
    order.record_payment_succeeded(paid(order, "100.00", later), NOW)
    events = order.record_payment_succeeded(paid(order, "100.00", earlier), NOW)
    assert order.first_paid_at == earlier
    assert {e.starts_at for e in events if isinstance(e, AccessChanged)} == {earlier}
    assert all(line.window == AccessWindow("open", earlier, None) for line in order.lines)


def test_holds_keep_their_order_of_arrival_and_a_known_one_is_not_held_twice(new_order):
    order = new_order()
    first, second = uuid.uuid4(), uuid.uuid4()
    for payment_id in (first, second, first):
        order.record_payment_overdue(PaymentOverdue(
            account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.id, payment_id=payment_id,
            amount=Decimal("1.00"), currency="UAH", due_at=NOW, closes_access=True), NOW)
    assert list(order.holds) == [first, second]
    assert [e.kind for e in order.entries] == ["payment_overdue"] * 3
    assert order.version == 2  # suspending was one change of the card; the second hold changed nothing on it


def test_nothing_is_announced_for_access_before_money_arrived(new_order):
    order = new_order()
    assert order.refresh_access(Actor(order.account_id, "system", uuid.uuid4()), "terms_changed", NOW) == []
