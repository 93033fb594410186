"""The CRM's creating requests under an Idempotency-Key, on the in-memory unit of work: a repeat
is what the first one made, made once; the key with another request is refused and makes nothing."""

import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from contracts import OrderUpdated
from orders.domain.actor import Actor
from orders.domain.catalog import CatalogProduct
from orders.entrypoints.bodies import ContactFields, NewLine, NewPipeline
from orders.service import EmailTaken, StaleVersion, add_line, create_contact, create_pipeline
from servicekit.idempotency import Idempotent, IdempotencyKeyReused

STAGES = [{"name": "New"}, {"name": "Paid", "on_full_payment": True}, {"name": "Lost", "on_cancel": True}]


def actor_of(school) -> Actor:
    return Actor(school.account, "manager-1", uuid.uuid4())


async def test_a_repeated_contact_is_the_first_one_not_an_email_taken(uow, school):
    command = ContactFields(name="Taras", email="taras@example.com")
    first = Idempotent("k1", "the first request")
    contact_id = await create_contact(uow, actor_of(school), command, idempotency=first)
    assert await create_contact(uow, actor_of(school), command, idempotency=first) == contact_id
    assert len(uow.contacts.known) == 1
    with pytest.raises(IdempotencyKeyReused):
        await create_contact(uow, actor_of(school), ContactFields(name="Ivan", email="ivan@example.com"),
                             idempotency=Idempotent("k1", "another request"))
    assert len(uow.contacts.known) == 1
    # Without a key the same email is the contact the school has.
    with pytest.raises(EmailTaken):
        await create_contact(uow, actor_of(school), command)


async def test_a_repeated_pipeline_is_made_once(uow, school):
    uow.pipelines.defaults[school.account] = school.pipeline
    command = NewPipeline(name="Webinars", stages=STAGES)
    first = Idempotent("k1", "the first request")
    pipeline_id = await create_pipeline(uow, actor_of(school), command, idempotency=first)
    assert await create_pipeline(uow, actor_of(school), command, idempotency=first) == pipeline_id
    assert list(uow.pipelines.names) == [pipeline_id]
    with pytest.raises(IdempotencyKeyReused):
        await create_pipeline(uow, actor_of(school), NewPipeline(name="Courses", stages=STAGES),
                              idempotency=Idempotent("k1", "another request"))
    assert list(uow.pipelines.names) == [pipeline_id]
    # Another school's same key is another request.
    other = Actor(uuid.uuid4(), "manager-1", uuid.uuid4())
    assert await create_pipeline(uow, other, command, idempotency=first) != pipeline_id


class Catalog:
    def __init__(self, account: uuid.UUID, product: uuid.UUID) -> None:
        self.account, self.known = account, product

    async def product(self, account_id: uuid.UUID, product_id: uuid.UUID) -> CatalogProduct | None:
        ok = account_id == self.account and product_id == self.known
        return CatalogProduct(product_id, "Course", (), None) if ok else None


class NoZone:
    async def time_zone(self, account_id: uuid.UUID) -> str | None:
        return None


async def test_a_repeated_line_on_the_version_it_moved_on_is_the_line_it_added(uow, school, new_order):
    order = new_order()
    product = uuid.UUID(int=5)
    uow.catalog, uow.schools = Catalog(school.account, product), NoZone()
    command = NewLine(product_id=product, price=Decimal("250.00"))
    first = Idempotent("k1", "the first request")
    line_id = await add_line(uow, actor_of(school), order.id, order.version, command, ZoneInfo("UTC"),
                             idempotency=first)
    saved = uow.orders.saved[order.id]
    version = saved.version
    # The retry names the version the first request moved on: the line it added, not a 409.
    again = await add_line(uow, actor_of(school), order.id, 1, command, ZoneInfo("UTC"), idempotency=first)
    assert again == line_id
    assert len(uow.orders.saved[order.id].lines) == 3 and uow.orders.saved[order.id].version == version
    assert len(uow.outbox.of(OrderUpdated)) == 1
    with pytest.raises(IdempotencyKeyReused):
        await add_line(uow, actor_of(school), order.id, version, command, ZoneInfo("UTC"),
                       idempotency=Idempotent("k1", "another request"))
    # Without a key, the same stale version is refused as before.
    with pytest.raises(StaleVersion):
        await add_line(uow, actor_of(school), order.id, 1, command, ZoneInfo("UTC"))
    assert len(uow.orders.saved[order.id].lines) == 3
