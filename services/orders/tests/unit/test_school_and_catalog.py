"""What offers tells orders about a school, as use cases on the in-memory unit of work: its profile
and its products, which manual orders then read."""

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from contracts import LessonOutline, ModuleOutline, OrderCreated, ProductUpdated, SchoolUpdated
from orders.entrypoints.bodies import NewOrder
from orders.domain.actor import Actor
from orders.domain.order import InvalidOrder
from orders.domain.school import SchoolProfile
from orders.service.catalog import describe_school, keep_product
from orders.service.intake import create_order


def announced(school, product_id, title="Python") -> ProductUpdated:
    return ProductUpdated(account_id=school.account, correlation_id=uuid.uuid4(), product_id=product_id, title=title,
                          kind="course", modules=[ModuleOutline(id=uuid.uuid4(), title="Basics", lessons=[
                              LessonOutline(id=uuid.uuid4(), title="Intro")])])


def order_of(product_id, **fields) -> NewOrder:
    return NewOrder(currency="UAH", contact={"name": "Taras", "email": "taras@example.com"},
                    lines=[{"product_id": str(product_id), "price": "1000.00", **fields}])


async def test_a_school_updated_replaces_its_profile_and_names_it_on_new_orders(uow, school):
    uow.schools.profiles[school.account] = SchoolProfile("Old name", "en", None, phone_region="UA")
    await describe_school(uow, SchoolUpdated(account_id=school.account, correlation_id=uuid.uuid4(),
                                             name="Code school", default_locale="uk", time_zone="Europe/Kyiv"))
    assert uow.schools.profiles[school.account] == SchoolProfile("Code school", "uk", "Europe/Kyiv", "UA")
    product = uuid.uuid4()
    await keep_product(uow, announced(school, product))
    await create_order(uow, Actor(school.account, "manager-1", uuid.uuid4()),
                       order_of(product, access={"start": {"kind": "at_date", "at": "2026-12-05"}}),
                       default_zone=ZoneInfo("UTC"))
    [created] = uow.outbox.of(OrderCreated)
    assert (created.school_name, created.school_locale) == ("Code school", "uk")
    # The date typed is the school's local midnight, in the zone the event named.
    assert created.lines[0].access.start.at == datetime(2026, 12, 4, 22, tzinfo=UTC)


async def test_a_product_announced_is_what_manual_lines_may_sell(uow, school):
    product = uuid.uuid4()
    actor = Actor(school.account, "manager-1", uuid.uuid4())
    with pytest.raises(InvalidOrder) as refused:
        await create_order(uow, actor, order_of(product), default_zone=ZoneInfo("UTC"))
    assert refused.value.field == "lines.0.product_id"
    await keep_product(uow, announced(school, product))
    await keep_product(uow, announced(school, product, title="Python 2").model_copy(
        update={"event_id": uuid.uuid4(), "occurred_at": datetime(2020, 1, 1, tzinfo=UTC)}))  # late, older
    order_id = await create_order(uow, actor, order_of(product), default_zone=ZoneInfo("UTC"))
    assert uow.orders.saved[order_id].lines[0].product_title == "Python"
