"""A system copy of an offer for an order's customised lines: made once, under the id orders chose."""

import uuid
from decimal import Decimal

import pytest
from contracts import AccessTerms, OfferCopyLine, OfferCopyRequested, OfferUpdated
from offers import service
from offers.domain.offer import Item, Offer
from offers.domain.product import Product
from servicekit.errors import Rejected

ACCOUNT = uuid.uuid4()


@pytest.fixture
def source(uow) -> Offer:
    python = uow.products.put(Product(id=uuid.uuid4(), account_id=ACCOUNT, title="Python"))
    return uow.offers.put(Offer(id=uuid.uuid4(), account_id=ACCOUNT, title="Python for data", currency="UAH",
                                items=[Item(python.id, "Python", Decimal("1000.00"))]))


def _request(source: Offer, *lines: OfferCopyLine, copy_id: uuid.UUID | None = None,
             account_id: uuid.UUID = ACCOUNT) -> OfferCopyRequested:
    return OfferCopyRequested(account_id=account_id, correlation_id=uuid.uuid4(), copy_id=copy_id or uuid.uuid4(),
                              source_offer_id=source.id, order_id=uuid.uuid4(), order_number=7, lines=list(lines))


async def test_the_copy_takes_the_lines_prices_and_adds_the_products_the_source_lacks(uow, source):
    sql = uow.products.put(Product(id=uuid.uuid4(), account_id=ACCOUNT, title="SQL"))
    event = _request(source, OfferCopyLine(product_id=source.items[0].product_id, price=Decimal("800.00"),
                                           access=AccessTerms()),
                     OfferCopyLine(product_id=sql.id, price=Decimal("200.00"), access=AccessTerms()))
    await service.on_offer_copy_requested(uow, event)
    copy = uow.offers.stored[event.copy_id]
    assert (copy.title, copy.is_system_copy, copy.source_offer_id, copy.version) == (
        "Python for data (Copy system)", True, source.id, 1)
    assert [(i.product_title, i.price) for i in copy.items] == [("Python", Decimal("800.00")), ("SQL",
                                                                                               Decimal("200.00"))]
    [announced] = uow.outbox.of(OfferUpdated)
    assert (announced.offer_id, announced.is_system_copy, announced.source_offer_id) == (event.copy_id, True,
                                                                                         source.id)
    assert (announced.correlation_id, announced.causation_id) == (event.correlation_id, event.event_id)
    assert uow.offers.stored[source.id].items == source.items  # the source is left as it was


async def test_a_repeated_request_for_the_same_copy_makes_nothing_more(uow, source):
    event = _request(source)
    await service.on_offer_copy_requested(uow, event)
    await service.on_offer_copy_requested(uow, event.model_copy(update={"event_id": uuid.uuid4()}))
    assert len(uow.outbox.events) == 1 and sorted(uow.offers.stored) == sorted([source.id, event.copy_id])


async def test_an_id_taken_by_another_offer_is_rejected(uow, source):
    with pytest.raises(Rejected, match="already taken"):
        await service.on_offer_copy_requested(uow, _request(source, copy_id=source.id))
    assert uow.outbox.events == []


async def test_a_source_of_another_school_is_rejected(uow, source):
    with pytest.raises(Rejected, match="no offer"):
        await service.on_offer_copy_requested(uow, _request(source, account_id=uuid.uuid4()))
    assert uow.outbox.events == [] and list(uow.offers.stored) == [source.id]


async def test_a_line_naming_a_product_the_school_lacks_is_rejected(uow, source):
    theirs = uow.products.put(Product(id=uuid.uuid4(), account_id=uuid.uuid4(), title="Theirs"))
    with pytest.raises(Rejected, match=str(theirs.id)):
        await service.on_offer_copy_requested(uow, _request(
            source, OfferCopyLine(product_id=theirs.id, price=Decimal(1), access=AccessTerms())))
    assert uow.outbox.events == [] and list(uow.offers.stored) == [source.id]


async def test_a_copy_that_would_be_invalid_is_rejected(uow, source):
    # A curator saved before names had to be written out: the copy keeps the curators, and is refused.
    old = uow.offers.put(Offer(id=uuid.uuid4(), account_id=ACCOUNT, title="Old", currency="UAH",
                               items=list(source.items), curators=[" "]))
    with pytest.raises(Rejected, match="the copy would be invalid: curators.0"):
        await service.on_offer_copy_requested(uow, _request(old))
    assert uow.outbox.events == [] and sorted(uow.offers.stored) == sorted([source.id, old.id])
