"""What the clock and the offers change on orders, as use cases on the in-memory unit of work."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from contracts import AccessChanged, AccessEnd, AccessTerms, OfferLine, OfferUpdated, OrderUpdated, Period
from orders.domain.access import AccessWindow
from orders.service import expiry
from orders.service.catalog import follow_offer

NOW = datetime.now(UTC)


async def test_an_unpaid_order_expires_once_and_says_so(uow, school, new_order):
    unpaid, paid = new_order(), new_order(paid=Decimal("1000.00"), payment_status="paid")
    assert await expiry.expire_unpaid(uow, now=NOW, default_days=3, limit=10) == 1
    assert (uow.orders.saved[unpaid.id].state, uow.orders.saved[unpaid.id].closed_at) == ("expired", NOW)
    assert uow.orders.saved[paid.id].state == "active"
    [updated] = uow.outbox.of(OrderUpdated)
    assert (updated.order_id, updated.status, updated.changed, updated.order_version) == (
        unpaid.id, "expired", ["status"], 2)


async def test_a_window_the_clock_ended_is_announced_without_a_new_version(uow, school, new_order):
    started = NOW - timedelta(days=40)
    order = new_order(paid=Decimal("1000.00"), payment_status="paid", first_paid_at=started)
    for line in order.lines:
        line.terms = AccessTerms(end=AccessEnd(kind="after_period", period=Period(unit="days", count=30)))
        line.window = AccessWindow("open", started, started + timedelta(days=30))
    uow.orders.put(order)
    assert await expiry.advance_windows(uow, now=NOW, limit=10) == 1
    assert [(e.status, e.reason) for e in uow.outbox.of(AccessChanged)] == [("ended", "expired")] * 2
    assert uow.orders.saved[order.id].version == 1 and not uow.outbox.of(OrderUpdated)


async def test_lines_follow_newer_terms_of_their_offer_only(uow, school, new_order):
    order = new_order()
    offer = uuid.uuid4()
    followed, kept = order.lines
    followed.offer_id, followed.offer_version = offer, 1
    kept.offer_id, kept.customised = offer, True
    uow.orders.put(order)
    longer = AccessTerms(end=AccessEnd(kind="after_period", period=Period(unit="months", count=6)))

    def updated(version: int) -> OfferUpdated:
        return OfferUpdated(
            account_id=school.account, correlation_id=uuid.uuid4(), offer_id=offer, offer_version=version,
            offer_title="Spring", currency="UAH", total=Decimal("1000.00"), lines=[
                OfferLine(product_id=line.product_id, product_title="x", price=Decimal("1.00"), access=longer)
                for line in order.lines])

    await follow_offer(uow, updated(2))
    await follow_offer(uow, updated(2).model_copy(update={"event_id": uuid.uuid4()}))
    saved = uow.orders.saved[order.id]
    assert (saved.lines[0].terms, saved.lines[0].offer_version, saved.lines[1].terms) == (longer, 2, AccessTerms())
    assert saved.version == 2 and [h[2] for h in uow.orders.history] == ["offer_terms_followed"]
    assert [e.changed for e in uow.outbox.of(OrderUpdated)] == [["lines"]]
