"""A visitor opens an offer: a checkout and OfferOpened; the order and its link make it ready."""

import uuid
from decimal import Decimal

import pytest
from contracts import ContactData, OfferOpened, OrderCreated, PaymentLinkIssued
from offers import service
from offers.domain.errors import OfferArchived, OfferNotPayable, OfferUnavailable
from offers.domain.offer import Item, Offer
from offers.domain.product import Product
from offers.domain.school import SchoolProfile
from servicekit.idempotency import Idempotent, IdempotencyKeyReused

ACCOUNT = uuid.uuid4()
IVAN = ContactData(name="Ivan Petrenko", email="ivan@example.com")


@pytest.fixture
def offer(uow) -> Offer:
    python = uow.products.put(Product(id=uuid.uuid4(), account_id=ACCOUNT, title="Python"))
    return uow.offers.put(Offer(id=uuid.uuid4(), account_id=ACCOUNT, title="Python for data", currency="UAH",
                                items=[Item(python.id, "Python", Decimal("1547.36"))], provider="liqpay", version=3))


async def _open(uow, offer_id, **kwargs):
    return await service.open_offer(uow, offer_id, IVAN, "widget", uuid.uuid4(), **kwargs)


async def test_opening_records_a_pending_checkout_and_announces_the_offer_as_it_is(uow, offer):
    uow.schools.profiles[ACCOUNT] = SchoolProfile(name="Kyiv Code School", default_locale="uk")
    correlation = uuid.uuid4()
    checkout_id = await service.open_offer(uow, offer.id, IVAN, "widget", correlation)
    checkout = uow.checkouts.stored[checkout_id]
    assert (checkout.account_id, checkout.offer_id, checkout.offer_version, checkout.source, checkout.status) == (
        ACCOUNT, offer.id, 3, "widget", "pending")
    [event] = uow.outbox.events
    assert isinstance(event, OfferOpened)
    assert (event.checkout_id, event.offer_version, event.correlation_id, event.contact, event.source) == (
        checkout_id, 3, correlation, IVAN, "widget")
    assert (event.school_name, event.school_locale, event.total, event.provider) == (
        "Kyiv Code School", "uk", Decimal("1547.36"), "liqpay")


async def test_a_school_without_a_profile_is_named_for_the_visitor_all_the_same(uow, offer):
    await _open(uow, offer.id)
    [event] = uow.outbox.of(OfferOpened)
    assert (event.school_name, event.school_locale) == (service.DEFAULT_SCHOOL_NAME, None)


async def test_every_open_is_a_new_checkout_but_a_repeated_request_gets_the_first(uow, offer):
    first = await _open(uow, offer.id, idempotency=Idempotent("click", "body"))
    again = await _open(uow, offer.id, idempotency=Idempotent("click", "body"))
    other = await _open(uow, offer.id)
    assert again == first and other != first
    assert len(uow.checkouts.stored) == 2 and len(uow.outbox.of(OfferOpened)) == 2
    with pytest.raises(IdempotencyKeyReused):
        await _open(uow, offer.id, idempotency=Idempotent("click", "another body"))


async def test_the_key_is_the_offers_as_a_visitor_has_no_account(uow, offer):
    second = uow.offers.put(Offer(id=uuid.uuid4(), account_id=ACCOUNT, title="Second", currency="UAH",
                                  items=list(offer.items), provider="liqpay"))
    first = await _open(uow, offer.id, idempotency=Idempotent("click", "body"))
    other = await _open(uow, second.id, idempotency=Idempotent("click", "body"))
    assert other != first and uow.checkouts.stored[other].offer_id == second.id


@pytest.mark.parametrize("change, refusal", [
    ({"status": "archived"}, OfferArchived),
    ({"is_system_copy": True}, OfferUnavailable),
    ({"provider": "sandbox"}, OfferNotPayable),
])
async def test_an_offer_not_for_sale_opens_no_checkout(uow, offer, change, refusal):
    uow.offers.put(Offer(**{**offer.__dict__, **change}))
    with pytest.raises(refusal):
        await _open(uow, offer.id)
    assert uow.checkouts.stored == {} and uow.outbox.events == []


async def test_an_unknown_offer_opens_no_checkout(uow):
    with pytest.raises(OfferUnavailable):
        await _open(uow, uuid.uuid4())
    assert uow.checkouts.stored == {} and uow.outbox.events == []


async def test_a_sandbox_offer_opens_while_the_sandbox_is_on(uow, offer):
    uow.offers.put(Offer(**{**offer.__dict__, "provider": "sandbox"}))
    checkout_id = await _open(uow, offer.id, sandbox_enabled=True)
    assert uow.outbox.of(OfferOpened)[0].checkout_id == checkout_id


def _order(checkout_id, account_id=ACCOUNT, number=7):
    return OrderCreated(
        account_id=account_id, correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=number,
        checkout_id=checkout_id, school_name="S", contact_id=uuid.uuid4(), contact=IVAN, currency="UAH", lines=[],
        discount=Decimal(0), total=Decimal("1547.36"), payment_plan=[], provider="liqpay")


def _link(order: OrderCreated, url="https://pay.example/1"):
    return PaymentLinkIssued.caused_by(order, order_id=order.order_id, payment_id=uuid.uuid4(),
                                       checkout_id=order.checkout_id, amount=Decimal("1547.36"), currency="UAH",
                                       provider="liqpay", url=url)


@pytest.mark.parametrize("order_first", [True, False])
async def test_a_checkout_is_ready_once_it_has_its_order_and_its_link_in_either_order(uow, offer, order_first):
    checkout_id = await _open(uow, offer.id)
    order = _order(checkout_id)
    facts = [service.on_order_created(uow, order), service.on_payment_link_issued(uow, _link(order))]
    await facts[0 if order_first else 1]
    checkout = uow.checkouts.stored[checkout_id]
    assert checkout.status == "pending"
    await facts[1 if order_first else 0]
    assert (checkout.status, checkout.order_id, checkout.order_number, checkout.payment_url) == (
        "ready", order.order_id, 7, "https://pay.example/1")
    assert uow.checkouts.notices == [checkout_id, checkout_id]  # each wakes the visitor's wait
    assert len(uow.outbox.events) == 1  # only the OfferOpened: these facts announce nothing


async def test_an_order_made_in_the_crm_has_no_checkout_to_record(uow, offer):
    order = _order(None)
    await service.on_order_created(uow, order)
    await service.on_payment_link_issued(uow, _link(order))
    assert uow.checkouts.notices == []


async def test_another_schools_order_does_not_touch_the_checkout(uow, offer):
    checkout_id = await _open(uow, offer.id)
    order = _order(checkout_id, account_id=uuid.uuid4())
    await service.on_order_created(uow, order)
    await service.on_payment_link_issued(uow, _link(order))
    checkout = uow.checkouts.stored[checkout_id]
    assert (checkout.status, checkout.order_number, checkout.payment_url) == ("pending", None, None)
