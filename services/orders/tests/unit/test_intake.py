"""New orders as use cases on the in-memory unit of work: from a visit to an offer, or by hand."""

import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from contracts import ContactData, OfferLine, OfferOpened, OrderCreated
from orders.entrypoints.bodies import NewOrder
from orders.domain.actor import Actor
from orders.domain.catalog import CatalogProduct
from orders.domain.order import Contact, InvalidOrder
from orders.domain.pipeline import DEFAULT_PIPELINE_NAME
from orders.service.intake import create_order, open_order_from_offer
from servicekit.idempotency import Idempotent, IdempotencyKeyReused


def opened(school, email="Olena@Example.com", phone=None) -> OfferOpened:
    return OfferOpened(
        account_id=school.account, correlation_id=uuid.uuid4(), checkout_id=uuid.uuid4(), offer_id=uuid.uuid4(),
        offer_version=3, offer_title="Spring", school_name="Code school", currency="UAH",
        contact=ContactData(name="Olena", email=email, phone=phone), lines=[
            OfferLine(product_id=uuid.uuid4(), product_title="Python", price=Decimal("1200.00"))],
        discount=Decimal("200.00"), total=Decimal("1000.00"), payment_plan=[], provider="sandbox", source="page")


async def test_a_visit_makes_one_order_per_checkout_and_one_contact_per_email(uow, school):
    first = opened(school)
    await open_order_from_offer(uow, first)
    await open_order_from_offer(uow, first.model_copy(update={"event_id": uuid.uuid4()}))
    await open_order_from_offer(uow, opened(school, email="olena@example.com", phone="+380501234567"))
    orders = list(uow.orders.saved.values())
    assert len(orders) == 2 and {o.contact.id for o in orders} == {orders[0].contact.id}
    [contact] = [c for _, c in uow.contacts.known.values()]
    assert (contact.email, contact.phone) == ("Olena@example.com", "+380501234567")  # filled, not overwritten
    order = orders[0]
    default = await uow.pipelines.default(school.account)  # made on the first visit
    assert (order.number, order.total, order.subtotal, order.pipeline_id, order.stage_id) == (
        1, Decimal("1000.00"), Decimal("1200.00"), default.id, default.first_stage)
    assert order.lines[0].offer_version == 3 and order.payment_status == "not_paid"
    created = uow.outbox.of(OrderCreated)
    assert [e.order_number for e in created] == [1, 2] and created[0].causation_id == first.event_id
    assert uow.schools.profiles[school.account].name == "Code school"
    assert [h[1:3] for h in uow.orders.history] == [("system", "created")] * 2


async def test_a_manual_order_is_placed_priced_announced_and_remembered_by_its_key(uow, school):
    product = uuid.uuid4()

    class Catalog:
        async def product(self, account_id, product_id):
            return CatalogProduct(product, "Python", (), None) if product_id == product else None

    uow.catalog = Catalog()
    actor = Actor(school.account, "manager-1", uuid.uuid4())
    command = NewOrder(currency="UAH", contact={"name": "Taras", "email": "taras@example.com"},
                       lines=[{"product_id": str(product), "price": "1000.00"}],
                       discount={"kind": "percent", "value": "12.5"}, pipeline_id=school.pipeline)
    first = Idempotent("k1", "the first request")
    order_id = await create_order(uow, actor, command, idempotency=first, default_zone=ZoneInfo("UTC"))
    assert await create_order(uow, actor, command, idempotency=first, default_zone=ZoneInfo("UTC")) == order_id
    with pytest.raises(IdempotencyKeyReused):
        await create_order(uow, actor, command.model_copy(update={"comment": "other"}),
                           idempotency=Idempotent("k1", "another request"), default_zone=ZoneInfo("UTC"))
    order = uow.orders.saved[order_id]
    assert (order.discount, order.discount_percent, order.total) == (Decimal("125.00"), Decimal("12.5"),
                                                                     Decimal("875.00"))
    assert (order.stage_id, order.lines[0].product_title, order.source) == (school.stages[0], "Python", "manual")
    [created] = uow.outbox.of(OrderCreated)
    assert (created.school_name, [p.amount for p in created.payment_plan]) == ("Online school", [Decimal("875.00")])


async def test_the_first_visit_makes_the_schools_default_funnel_and_later_ones_use_it(uow, school):
    await open_order_from_offer(uow, opened(school))
    await open_order_from_offer(uow, opened(school, email="taras@example.com"))
    default = await uow.pipelines.default(school.account)
    assert uow.pipelines.names[default.id] == DEFAULT_PIPELINE_NAME and default.funnel.on_full_payment
    assert [(o.pipeline_id, o.stage_id) for o in uow.orders.saved.values()] == [(default.id, default.first_stage)] * 2
    assert [p for p, (a, _) in uow.pipelines.known.items() if a == school.account] == [school.pipeline, default.id]


def manual(school, **fields):
    product = uuid.uuid4()

    class Catalog:
        async def product(self, account_id, product_id):
            return CatalogProduct(product, "Python", (), None) if product_id == product else None

    return Catalog(), NewOrder(currency="UAH", lines=[{"product_id": str(product), "price": "1000.00"}],
                               **{"contact": {"name": "Taras", "email": "taras@example.com"}, **fields})


async def test_a_manual_order_lands_in_the_first_stage_of_the_pipeline_given_or_the_stage_given(uow, school):
    uow.catalog, command = manual(school, pipeline_id=school.pipeline)
    actor = Actor(school.account, "manager-1", uuid.uuid4())
    first = await create_order(uow, actor, command, default_zone=ZoneInfo("UTC"))
    second = await create_order(uow, actor, command.model_copy(update={"pipeline_id": None,
                                                                       "stage_id": school.stages[2]}),
                                default_zone=ZoneInfo("UTC"))
    assert [(uow.orders.saved[o].pipeline_id, uow.orders.saved[o].stage_id) for o in (first, second)] == [
        (school.pipeline, school.stages[0]), (school.pipeline, school.stages[2])]
    assert await uow.pipelines.default(school.account) is None  # neither asked for the default


async def test_a_manual_order_naming_no_place_lands_in_the_default_and_a_foreign_stage_is_refused(uow, school):
    uow.catalog, command = manual(school)
    actor = Actor(school.account, "manager-1", uuid.uuid4())
    order_id = await create_order(uow, actor, command, default_zone=ZoneInfo("UTC"))
    default = await uow.pipelines.default(school.account)
    assert (uow.orders.saved[order_id].pipeline_id, uow.orders.saved[order_id].stage_id) == (
        default.id, default.first_stage)
    with pytest.raises(InvalidOrder) as refused:
        await create_order(uow, actor, command.model_copy(update={"pipeline_id": default.id,
                                                                  "stage_id": school.stages[0]}),
                           default_zone=ZoneInfo("UTC"))
    assert refused.value.field == "stage_id" and len(uow.orders.saved) == 1


async def test_a_manual_order_typing_a_known_email_uses_that_contact_and_only_fills_it(uow, school):
    known = Contact(uuid.uuid4(), "Taras Shevchenko", "Taras@Example.com", phone=None, locale="uk")
    uow.contacts.known[known.id] = (school.account, known)
    uow.catalog, command = manual(school, pipeline_id=school.pipeline, contact={
        "name": "T.", "email": "taras@example.com", "phone": "+380501234567", "locale": "en"})
    order_id = await create_order(uow, Actor(school.account, "manager-1", uuid.uuid4()), command,
                                  default_zone=ZoneInfo("UTC"))
    expected = Contact(known.id, "Taras Shevchenko", "Taras@Example.com", "+380501234567", "uk")
    assert uow.orders.saved[order_id].contact == expected
    assert await uow.contacts.get(school.account, known.id) == expected and len(uow.contacts.known) == 1
    [created] = uow.outbox.of(OrderCreated)
    assert (created.contact.name, created.contact.phone) == ("Taras Shevchenko", "+380501234567")


async def test_a_repeat_visit_that_adds_nothing_still_counts_as_an_update_of_the_contact(uow, school):
    await open_order_from_offer(uow, opened(school, phone="+380501234567"))
    await open_order_from_offer(uow, opened(school))
    [(contact_id, filled)] = uow.contacts.filled
    assert filled == {} and uow.contacts.known[contact_id][1].phone == "+380501234567"


async def test_a_visit_whose_new_email_a_concurrent_visit_took_is_for_that_contact(uow, school):
    await open_order_from_offer(uow, opened(school))
    [known] = [c for _, c in uow.contacts.known.values()]
    found_before = uow.orders.visit

    async def read_before_the_other_committed(*args):
        return (await found_before(*args))._replace(contact=None)

    uow.orders.visit = read_before_the_other_committed
    await open_order_from_offer(uow, opened(school, email="OLENA@example.com", phone="+380501234567"))
    assert {o.contact.id for o in uow.orders.saved.values()} == {known.id} and len(uow.contacts.known) == 1
    assert uow.contacts.known[known.id][1].phone == "+380501234567"
    assert [e.contact_id for e in uow.outbox.of(OrderCreated)] == [known.id, known.id]
