"""Creating and changing offers: their lines name the school's products, versions, the events."""

import uuid
from decimal import Decimal

import pytest
from contracts import AccessTerms, OfferUpdated
from offers import service
from offers.domain.errors import NotFound, OfferError, StaleVersion
from offers.domain.product import Lesson, Module, Product
from servicekit.idempotency import Idempotent

ACCOUNT = uuid.uuid4()


@pytest.fixture
def python(uow) -> Product:
    return uow.products.put(Product(id=uuid.uuid4(), account_id=ACCOUNT, title="Python",
                                    modules=[Module(uuid.uuid4(), "Basics", (Lesson(uuid.uuid4(), "Variables"),))]))


async def _offer(uow, product, price="1547.36", **kwargs):
    return await service.create_offer(uow, ACCOUNT, title="Python for data", currency="UAH",
                                      items=[(product.id, Decimal(price), AccessTerms())],
                                      correlation_id=uuid.uuid4(), **kwargs)


async def test_a_new_offer_is_version_one_with_its_products_titles_and_is_announced(uow, python):
    correlation = uuid.uuid4()
    offer = await service.create_offer(uow, ACCOUNT, title="Python for data", currency="UAH",
                                       items=[(python.id, Decimal("1547.36"), AccessTerms())],
                                       curators=["Olena"], correlation_id=correlation)
    stored = uow.offers.stored[offer.id]
    assert (stored.version, stored.title, stored.curators, stored.provider) == (1, "Python for data", ["Olena"],
                                                                                "sandbox")
    assert [(i.product_id, i.product_title, i.price) for i in stored.items] == [(python.id, "Python",
                                                                                 Decimal("1547.36"))]
    [event] = uow.outbox.events
    assert isinstance(event, OfferUpdated)
    assert (event.offer_id, event.offer_version, event.correlation_id, event.archived) == (offer.id, 1, correlation,
                                                                                           False)
    assert [(line.product_title, line.price) for line in event.lines] == [("Python", Decimal("1547.36"))]


async def test_a_line_naming_another_schools_product_is_refused_and_nothing_is_stored(uow):
    theirs = uow.products.put(Product(id=uuid.uuid4(), account_id=uuid.uuid4(), title="Theirs"))
    with pytest.raises(OfferError) as refused:
        await _offer(uow, theirs)
    assert refused.value.field == "items.0.product_id"
    assert uow.offers.stored == {} and uow.outbox.events == []


async def test_a_line_granting_a_module_the_product_lacks_is_refused(uow, python):
    with pytest.raises(OfferError) as refused:
        await service.create_offer(uow, ACCOUNT, title="Python", currency="UAH",
                                   items=[(python.id, Decimal(1), AccessTerms(module_ids=[uuid.uuid4()]))],
                                   correlation_id=uuid.uuid4())
    assert refused.value.field.startswith("items.0.access")
    assert uow.offers.stored == {} and uow.outbox.events == []


async def test_an_invalid_offer_is_refused_before_anything_is_stored(uow, python):
    with pytest.raises(OfferError) as refused:
        await _offer(uow, python, price="-1")
    assert refused.value.field == "items.0.price" and uow.offers.stored == {} and uow.outbox.events == []


async def test_a_repeat_under_the_same_key_gets_the_first_offer(uow, python):
    first = await _offer(uow, python, idempotency=Idempotent("k", "body"))
    again = await _offer(uow, python, idempotency=Idempotent("k", "body"))
    assert again.id == first.id and list(uow.offers.stored) == [first.id] and len(uow.outbox.events) == 1


async def test_a_change_on_the_version_seen_makes_the_next_version_and_is_announced(uow, python):
    offer = await _offer(uow, python)
    changed = await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1,
                                         changes={"title": "Python, the whole course", "status": "archived"},
                                         correlation_id=uuid.uuid4())
    assert uow.offers.locked == [offer.id]  # read for update
    assert changed.version == 2 and uow.offers.stored[offer.id].title == "Python, the whole course"
    assert uow.offers.versions == [(offer.id, 1), (offer.id, 2)]
    assert [(e.offer_version, e.archived) for e in uow.outbox.of(OfferUpdated)] == [(1, False), (2, True)]


async def test_a_change_on_a_stale_version_is_refused_and_nothing_changes(uow, python):
    offer = await _offer(uow, python)
    await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1, changes={"title": "Second"},
                               correlation_id=uuid.uuid4())
    with pytest.raises(StaleVersion) as refused:
        await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1, changes={"title": "Third"},
                                   correlation_id=uuid.uuid4())
    assert refused.value.current == 2
    assert uow.offers.stored[offer.id].title == "Second" and len(uow.outbox.events) == 2
    # The version is checked first: a stale editor is told to reload, whatever else is wrong.
    with pytest.raises(StaleVersion):
        await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1, changes={"title": " "},
                                   correlation_id=uuid.uuid4())


async def test_a_change_that_changes_nothing_makes_no_version_and_no_event(uow, python):
    offer = await _offer(uow, python)
    same = await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1,
                                      changes={"title": "Python for data"}, correlation_id=uuid.uuid4())
    assert same.version == 1 and uow.offers.versions == [(offer.id, 1)] and len(uow.outbox.events) == 1


async def test_new_lines_are_checked_against_the_schools_products(uow, python):
    offer = await _offer(uow, python)
    with pytest.raises(OfferError) as refused:
        await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1,
                                   changes={"items": [(uuid.uuid4(), Decimal(5), AccessTerms())]},
                                   correlation_id=uuid.uuid4())
    assert refused.value.field == "items.0.product_id"
    changed = await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1,
                                         changes={"items": [(python.id, Decimal("99.50"), AccessTerms())]},
                                         correlation_id=uuid.uuid4())
    assert [(i.product_title, i.price) for i in changed.items] == [("Python", Decimal("99.50"))]


async def test_another_schools_offer_is_not_found(uow, python):
    offer = await _offer(uow, python)
    with pytest.raises(NotFound):
        await service.update_offer(uow, uuid.uuid4(), offer.id, expected_version=1, changes={"title": "Mine"},
                                   correlation_id=uuid.uuid4())


async def test_a_write_that_finds_the_version_moved_on_is_stale_and_announces_nothing(uow, python):
    offer = await _offer(uow, python)

    async def moved_on(offer, expected_version):
        return False

    uow.offers.replace = moved_on
    with pytest.raises(StaleVersion):
        await service.update_offer(uow, ACCOUNT, offer.id, expected_version=1, changes={"title": "Second"},
                                   correlation_id=uuid.uuid4())
    assert len(uow.outbox.events) == 1
