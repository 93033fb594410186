"""The line edits as use cases on the in-memory unit of work."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from contracts import AccessChanged, ModuleOutline, OfferCopyRequested, OrderUpdated
from orders.entrypoints.bodies import LineChanges, NewLine
from orders.domain.actor import Actor
from orders.domain.catalog import CatalogProduct
from orders.domain.order import InvalidOrder
from orders.service.editing import add_line, edit_line, remove_line

UTC_ZONE = ZoneInfo("UTC")


class MemoryCatalog:
    def __init__(self, account: uuid.UUID, products: list[uuid.UUID]) -> None:
        self.known = {p: CatalogProduct(p, f"Course {p.int}", (ModuleOutline(id=uuid.uuid4(), title="Basics"),), None)
                      for p in products}
        self.account = account

    async def product(self, account_id: uuid.UUID, product_id: uuid.UUID) -> CatalogProduct | None:
        return self.known.get(product_id) if account_id == self.account else None


class NoZone:
    async def time_zone(self, account_id: uuid.UUID) -> str | None:
        return None


@pytest.fixture
def catalogued(uow, school, new_order):
    def make(**fields):
        order = new_order(**fields)
        uow.catalog = MemoryCatalog(school.account, [line.product_id for line in order.lines] + [uuid.UUID(int=5)])
        uow.schools = NoZone()
        return order
    return make


def actor_of(school) -> Actor:
    return Actor(school.account, "manager-1", uuid.uuid4())


async def test_a_new_line_follows_a_percent_discount_and_opens_access_on_a_paid_order(uow, school, catalogued):
    order = catalogued(discount=Decimal("100.00"), discount_percent=Decimal("10.0000"), total=Decimal("900.00"),
                       paid=Decimal("900.00"), payment_status="paid", first_paid_at=datetime.now(UTC) - timedelta(days=1))
    order.refresh_access(actor_of(school), "paid", datetime.now(UTC))  # its lines' windows as announced
    uow.orders.put(order)
    line_id = await add_line(uow, actor_of(school), order.id, 1,
                             NewLine(product_id=uuid.UUID(int=5), price=Decimal("1000.00")), UTC_ZONE)
    saved = uow.orders.saved[order.id]
    assert (saved.subtotal, saved.discount, saved.total) == (Decimal("2000.0000"), Decimal("200.00"), Decimal("1800.00"))
    assert saved.payment_status == "partially_paid" and saved.lines[-1].id == line_id
    assert saved.lines[-1].product_title == "Course 5" and saved.lines[-1].position == 2
    [(_, _, kind, details)] = uow.orders.history
    assert kind == "line_added" and details["order_changes"]["discount"] == {
        "before": Decimal("100.00"), "after": Decimal("200.00")}
    [updated] = uow.outbox.of(OrderUpdated)
    assert updated.changed == ["discount", "lines", "payment_status", "total"]
    assert [(e.line_id, e.status) for e in uow.outbox.of(AccessChanged)] == [(line_id, "open")]


async def test_changing_the_terms_of_an_offer_line_asks_for_a_system_copy(uow, school, catalogued):
    order = catalogued()
    offer = uuid.uuid4()
    for line in order.lines:
        line.offer_id, line.offer_title = offer, "Spring"
    uow.orders.put(order)
    first = order.lines[0].id
    await edit_line(uow, actor_of(school), order.id, first, 1, LineChanges(price=Decimal("500.00")), UTC_ZONE)
    [copy] = uow.outbox.of(OfferCopyRequested)
    assert copy.source_offer_id == offer and [line.price for line in copy.lines] == [Decimal("500.00"), Decimal("400.00")]
    saved = uow.orders.saved[order.id]
    assert {(line.offer_id, line.offer_title, line.customised) for line in saved.lines} == {
        (copy.copy_id, "Spring (Copy system)", True)}
    assert isinstance(uow.outbox.events[0], OfferCopyRequested)  # before the OrderUpdated that names the copy
    assert uow.outbox.of(OrderUpdated)[0].lines[0].offer_id == copy.copy_id
    assert uow.orders.history[0][3]["offer_copy"]["copy_id"] == copy.copy_id


async def test_a_bad_price_is_named_before_terms_the_catalog_refuses(uow, school, catalogued):
    order = catalogued()
    line = order.lines[0]
    bad_terms = {"lesson_ids": [str(uuid.uuid4())]}
    with pytest.raises(InvalidOrder) as refused:
        await edit_line(uow, actor_of(school), order.id, line.id, 1,
                        LineChanges(price=Decimal("-1"), access=bad_terms), UTC_ZONE)
    assert refused.value.field == "price"
    with pytest.raises(InvalidOrder) as refused:
        await edit_line(uow, actor_of(school), order.id, line.id, 1, LineChanges(access=bad_terms), UTC_ZONE)
    assert refused.value.field.startswith("access")
    assert uow.orders.saves == 0


async def test_the_last_line_stays(uow, school, catalogued):
    order = catalogued()
    await remove_line(uow, actor_of(school), order.id, order.lines[0].id, 1)
    saved = uow.orders.saved[order.id]
    assert (len(saved.lines), saved.total, saved.version) == (1, Decimal("400.0000"), 2)
    with pytest.raises(InvalidOrder) as refused:
        await remove_line(uow, actor_of(school), order.id, saved.lines[0].id, 2)
    assert refused.value.field == "line_id"
