"""Creating and changing products: the structure's rules, the offers that still sell it, the events."""

import uuid
from decimal import Decimal

import pytest
from contracts import AccessTerms, ProductUpdated
from offers import service
from offers.domain.errors import NotFound, ProductError
from offers.domain.offer import Item, Offer
from offers.domain.product import CourseDefaults, ModuleDraft
from servicekit.idempotency import Idempotent, IdempotencyKeyReused

ACCOUNT = uuid.uuid4()


async def _product(uow, modules=(), **kwargs):
    return await service.create_product(
        uow, ACCOUNT, title="Python", kind="course", modules=list(modules), defaults=CourseDefaults(),
        correlation_id=uuid.uuid4(), **kwargs)


async def test_a_new_product_is_stored_with_its_structure_and_announced(uow):
    correlation = uuid.uuid4()
    product = await service.create_product(
        uow, ACCOUNT, title="Python", kind="group", modules=[ModuleDraft("Basics", ((None, "Variables"),))],
        defaults=CourseDefaults(comments=False), correlation_id=correlation)
    stored = uow.products.stored[product.id]
    assert (stored.account_id, stored.title, stored.kind) == (ACCOUNT, "Python", "group")
    [module] = stored.modules
    assert module.title == "Basics" and [lesson.title for lesson in module.lessons] == ["Variables"]
    [event] = uow.outbox.events
    assert isinstance(event, ProductUpdated)
    assert (event.product_id, event.correlation_id, event.title, event.kind) == (product.id, correlation, "Python",
                                                                                 "group")
    assert [m.title for m in event.modules] == ["Basics"] and event.defaults.comments is False


async def test_defaults_naming_a_lesson_the_product_lacks_are_refused_and_nothing_is_stored(uow):
    with pytest.raises(ProductError) as refused:
        await service.create_product(
            uow, ACCOUNT, title="Python", kind="course", modules=[],
            defaults=CourseDefaults(practice_lesson_ids=(uuid.uuid4(),)), correlation_id=uuid.uuid4())
    assert refused.value.field == "defaults.practice_lesson_ids.0"
    assert uow.products.stored == {} and uow.outbox.events == []


async def test_a_repeat_under_the_same_key_gets_the_first_product_and_no_second_event(uow):
    request = Idempotent("k1", "same body")
    first = await _product(uow, idempotency=request)
    again = await _product(uow, idempotency=request)
    assert again.id == first.id and list(uow.products.stored) == [first.id]
    assert len(uow.outbox.events) == 1
    with pytest.raises(IdempotencyKeyReused):
        await _product(uow, idempotency=Idempotent("k1", "another body"))


async def test_a_change_keeps_what_is_not_given_and_is_announced(uow):
    product = await _product(uow, [ModuleDraft("Basics", ((None, "Variables"),))])
    changed = await service.update_product(uow, ACCOUNT, product.id, title="Python 2", correlation_id=uuid.uuid4())
    assert uow.products.locked == [product.id]  # read for update
    stored = uow.products.stored[product.id]
    assert (stored.title, stored.kind, stored.modules) == ("Python 2", "course", product.modules)
    assert changed.title == "Python 2"
    assert [e.title for e in uow.outbox.of(ProductUpdated)] == ["Python", "Python 2"]


async def test_another_schools_product_is_not_found(uow):
    product = await _product(uow)
    with pytest.raises(NotFound):
        await service.update_product(uow, uuid.uuid4(), product.id, title="Mine", correlation_id=uuid.uuid4())
    assert uow.products.stored[product.id].title == "Python" and len(uow.outbox.events) == 1


async def test_a_structure_that_takes_away_what_an_offer_grants_is_refused(uow):
    product = await _product(uow, [ModuleDraft("Basics", ((None, "Variables"),)), ModuleDraft("Advanced")])
    basics = product.modules[0]
    uow.offers.put(Offer(id=uuid.uuid4(), account_id=ACCOUNT, title="Basics only", currency="UAH",
                         items=[Item(product.id, "Python", Decimal("100.00"), AccessTerms(module_ids=[basics.id]))]))
    with pytest.raises(ProductError) as refused:
        await service.update_product(uow, ACCOUNT, product.id, modules=[ModuleDraft("Advanced")],
                                     correlation_id=uuid.uuid4())
    assert refused.value.field == "modules" and "Basics only" in str(refused.value)
    assert uow.products.stored[product.id].modules == product.modules and len(uow.outbox.events) == 1
    # Keeping the module the offer grants (by its id) is a change like any other.
    await service.update_product(uow, ACCOUNT, product.id, modules=[ModuleDraft("Basics", (), basics.id)],
                                 correlation_id=uuid.uuid4())
    assert [m.id for m in uow.products.stored[product.id].modules] == [basics.id]
