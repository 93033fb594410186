"""Use cases of the offers service: one per command or message."""

import hashlib
from decimal import Decimal
from uuid import UUID, uuid4

from contracts import ContactData, OrderCreated, PaymentLinkIssued
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .adapters.checkout_waiters import announce_ready
from .adapters.tables import outbox
from .domain.offer import Checkout, Item, Offer, OfferError, OfferUnavailable

DEFAULT_SCHOOL_NAME = "Online school"


async def set_school(conn: AsyncConnection, account_id: UUID, name: str, default_locale: str) -> None:
    await repo.save_school(conn, account_id, name, default_locale)


async def create_product(conn: AsyncConnection, account_id: UUID, title: str, kind: str) -> UUID:
    product_id = uuid4()
    await repo.add_product(conn, id=product_id, account_id=account_id, title=title, kind=kind)
    return product_id


async def create_offer(
    conn: AsyncConnection,
    account_id: UUID,
    *,
    title: str,
    currency: str,
    items: list[tuple[UUID, Decimal]],
    discount: Decimal,
    provider: str,
) -> UUID:
    titles = await repo.product_titles(conn, account_id, [p for p, _ in items])
    for n, (product_id, _) in enumerate(items):
        if product_id not in titles:
            raise OfferError(f"items.{n}.product_id", f"no product {product_id} in this school")
    offer = Offer(
        id=uuid4(), account_id=account_id, title=title, currency=currency,
        items=[Item(p, titles[p], price) for p, price in items], discount=discount, provider=provider,
    )
    offer.validate()
    await repo.add_offer(conn, offer)
    return offer.id


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


async def open_offer(
    conn: AsyncConnection, offer_id: UUID, contact: ContactData, source: str, correlation_id: UUID,
    *, idempotency_key: str | None = None,
) -> UUID:
    """A visitor opened the offer page or widget: record the checkout, emit OfferOpened.

    Every open makes a new checkout, except a repeat of the same request under the same
    Idempotency-Key (a double click), which gets the first one's checkout.
    """
    fingerprint = hashlib.sha256(f"{contact.model_dump_json()}|{source}".encode()).hexdigest()
    scope = f"open:{offer_id}"
    if idempotency_key is not None:
        remembered = await repo.remembered_checkout(conn, scope, idempotency_key)
        if remembered is not None:
            checkout_id, first_fingerprint = remembered
            if first_fingerprint != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
            return checkout_id
    found = await repo.get_offer_with_school(conn, offer_id)
    if found is None:
        raise OfferUnavailable(f"there is no offer {offer_id}")
    offer, school = found
    school = school or DEFAULT_SCHOOL_NAME
    checkout = Checkout(account_id=offer.account_id, offer_id=offer.id, offer_version=offer.version, source=source)
    event = offer.open(
        checkout_id=checkout.id, school_name=school, contact=contact, source=source, correlation_id=correlation_id
    )
    await repo.add_checkout(conn, checkout)
    if idempotency_key is not None:
        await repo.remember_checkout(conn, scope, idempotency_key, fingerprint, checkout.id)
    await add_to_outbox(conn, outbox, event)
    return checkout.id


async def on_order_created(conn: AsyncConnection, event: OrderCreated) -> None:
    if event.checkout_id is not None:
        await repo.record_order(conn, event.checkout_id, event.account_id, event.order_id, event.order_number)
        await announce_ready(conn, event.checkout_id)


async def on_payment_link_issued(conn: AsyncConnection, event: PaymentLinkIssued) -> None:
    if event.checkout_id is not None:
        await repo.record_payment_link(conn, event.checkout_id, event.account_id, event.url)
        await announce_ready(conn, event.checkout_id)
