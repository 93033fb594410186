"""Use cases of the offers service: one per command or message."""

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from contracts import AccessTerms, ContactData, OfferCopyRequested, OrderCreated, PaymentLinkIssued, SchoolUpdated
from servicekit.errors import Rejected
from servicekit.idempotency import Idempotent
from servicekit.providers import SANDBOX

from ..domain.errors import NotFound, OfferError, OfferNotPayable, OfferUnavailable, ProductError, StaleVersion
from ..domain.offer import Checkout, Item, Offer
from ..domain.pricing import Discount, PlanPayment
from ..domain.product import CourseDefaults, ModuleDraft, Product
from ..domain.school import SchoolProfile
from .unit_of_work import UnitOfWork

DEFAULT_SCHOOL_NAME = "Online school"

ItemDraft = tuple[UUID, Decimal, AccessTerms]  # product, price, access terms


async def set_school(uow: UnitOfWork, account_id: UUID, profile: SchoolProfile, correlation_id: UUID) -> None:
    """The school's profile as its manager set it, announced; setting what it is already changes nothing."""
    if await uow.schools.hold(account_id) == profile:
        return
    await uow.schools.save(account_id, profile)
    await uow.outbox.add(SchoolUpdated(
        account_id=account_id, correlation_id=correlation_id, name=profile.name,
        default_locale=profile.default_locale, time_zone=profile.time_zone, reply_to=profile.reply_to))


async def create_product(
    uow: UnitOfWork, account_id: UUID, *, title: str, kind: str, modules: list[ModuleDraft],
    defaults: CourseDefaults, correlation_id: UUID, idempotency: Idempotent | None = None,
) -> Product:
    """A product with its course structure, announced; a repeat under the same Idempotency-Key gets
    the product the first request made."""
    if (earlier := await uow.idempotency.made_before(str(account_id), idempotency)) is not None:
        found = await uow.products.get(account_id, earlier)
        assert found is not None  # products are never deleted
        return found
    product = Product(id=uuid4(), account_id=account_id, title=title, kind=kind, defaults=defaults)
    product.restructure(modules)
    product.validate_defaults()
    await uow.products.add(product)
    await uow.outbox.add(product.updated(correlation_id=correlation_id))
    await uow.idempotency.remember(str(account_id), idempotency, product.id)
    return product


async def update_product(
    uow: UnitOfWork, account_id: UUID, product_id: UUID, *, title: str | None = None,
    kind: str | None = None, modules: list[ModuleDraft] | None = None, defaults: CourseDefaults | None = None,
    correlation_id: UUID,
) -> Product:
    """The fields given change; a structure that takes away what an offer still grants is refused."""
    product = await uow.products.get(account_id, product_id, for_update=True)
    if product is None:
        raise NotFound(f"no product {product_id}")
    if title is not None:
        product.title = title
    if kind is not None:
        product.kind = kind
    if modules is not None:
        product.restructure(modules)
        for title, access in await uow.offers.terms_selling(account_id, product_id):
            try:
                product.check_access(access, "modules")
            except OfferError as exc:
                raise ProductError("modules", f"offer '{title}' still grants what this change removes ({exc}); "
                                            "change the offer first") from None
    if defaults is not None:
        product.defaults = defaults
    product.validate_defaults()
    await uow.products.update(product)
    await uow.outbox.add(product.updated(correlation_id=correlation_id))
    return product


async def _items(uow: UnitOfWork, account_id: UUID, drafts: list[ItemDraft]) -> list[Item]:
    """The offer's lines, each naming a product of this school and only lessons that product has."""
    found = await uow.products.of_ids(account_id, [p for p, _, _ in drafts])
    items = []
    for n, (product_id, price, access) in enumerate(drafts):
        product = found.get(product_id)
        if product is None:
            raise OfferError(f"items.{n}.product_id", f"no product {product_id} in this school")
        product.check_access(access, f"items.{n}.access")
        items.append(Item(product_id, product.title, price, access))
    return items


async def create_offer(
    uow: UnitOfWork,
    account_id: UUID,
    *,
    title: str,
    currency: str,
    items: list[ItemDraft],
    discount: Discount = Discount(),
    plan: list[PlanPayment] | None = None,
    curators: list[str] | None = None,
    provider: str = "sandbox",
    status: str = "active",
    correlation_id: UUID,
    idempotency: Idempotent | None = None,
) -> Offer:
    """Version 1 of an offer, announced; a repeat under the same Idempotency-Key gets the offer the
    first request made."""
    if (earlier := await uow.idempotency.made_before(str(account_id), idempotency)) is not None:
        found = await uow.offers.get(earlier, account_id)
        assert found is not None  # offers are archived, never deleted
        return found
    offer = Offer(
        id=uuid4(), account_id=account_id, title=title, currency=currency,
        items=await _items(uow, account_id, items), discount=discount, plan=plan, curators=list(curators or []),
        provider=provider, status=status,
    )
    offer.validate()
    await uow.offers.add(offer)
    await uow.idempotency.remember(str(account_id), idempotency, offer.id)
    await uow.outbox.add(offer.updated(correlation_id))
    return offer


async def update_offer(
    uow: UnitOfWork, account_id: UUID, offer_id: UUID, *, expected_version: int, changes: dict[str, Any],
    correlation_id: UUID,
) -> Offer:
    """Apply the changes to the version the editor saw; a stale version is refused, never overwritten.

    A change that changes nothing makes no version and no event.
    """
    current = await uow.offers.get(offer_id, account_id, for_update=True)
    if current is None:
        raise NotFound(f"no offer {offer_id}")
    current.check_version(expected_version)
    if "items" in changes:
        changes = {**changes, "items": await _items(uow, account_id, changes["items"])}
    following = current.changed(**changes)
    if following is None:
        return current
    if not await uow.offers.replace(following, expected_version):
        raise StaleVersion(current.version)  # only if the row lock was bypassed; kept as a guard
    await uow.outbox.add(following.updated(correlation_id))
    return following


async def on_offer_copy_requested(uow: UnitOfWork, event: OfferCopyRequested) -> None:
    """Orders customised a line: make "<offer> (Copy system)" under the id orders chose, once."""
    existing = await uow.offers.owner(event.copy_id)
    if existing is not None:
        account_id, is_copy, source = existing
        if account_id == event.account_id and is_copy and source == event.source_offer_id:
            return  # made by an earlier request for the same copy
        raise Rejected(f"offer id {event.copy_id} is already taken by another offer")
    source_offer = await uow.offers.get(event.source_offer_id, event.account_id)
    if source_offer is None:
        raise Rejected(f"no offer {event.source_offer_id} in account {event.account_id} to copy")
    present = {i.product_id for i in source_offer.items}
    extra = [line.product_id for line in event.lines if line.product_id not in present]
    titles = {p.id: p.title for p in (await uow.products.of_ids(event.account_id, extra)).values()}
    missing = [str(p) for p in extra if p not in titles]
    if missing:
        raise Rejected(f"no product {', '.join(missing)} in account {event.account_id}")
    try:
        copy = source_offer.system_copy(event.copy_id, list(event.lines), titles)
    except OfferError as exc:
        raise Rejected(f"the copy would be invalid: {exc.field}: {exc}") from None
    await uow.offers.add(copy)
    await uow.outbox.add(copy.updated(event.correlation_id, event.event_id))


async def open_offer(
    uow: UnitOfWork, offer_id: UUID, contact: ContactData, source: str, correlation_id: UUID,
    *, idempotency: Idempotent | None = None, sandbox_enabled: bool = False,
) -> UUID:
    """A visitor opened the offer page or widget: record the checkout, emit OfferOpened.

    Every open makes a new checkout, except a repeat of the same request under the same
    Idempotency-Key (a double click), which gets the first one's checkout.
    """
    scope = f"open:{offer_id}"  # a visitor has no account: the key is the offer's
    if (earlier := await uow.idempotency.made_before(scope, idempotency)) is not None:
        return earlier
    found = await uow.offers.with_school(offer_id)
    if found is None:
        raise OfferUnavailable()
    offer, school, locale = found
    if offer.provider == SANDBOX and not sandbox_enabled:
        # Made while the sandbox was on: no link could ever come, so no order is started.
        raise OfferNotPayable()
    checkout = Checkout(account_id=offer.account_id, offer_id=offer.id, offer_version=offer.version, source=source)
    event = offer.open(
        checkout_id=checkout.id, school_name=school or DEFAULT_SCHOOL_NAME, contact=contact, source=source,
        correlation_id=correlation_id, school_locale=locale,
    )
    await uow.checkouts.add(checkout)
    await uow.idempotency.remember(scope, idempotency, checkout.id)
    await uow.outbox.add(event)
    return checkout.id


async def on_order_created(uow: UnitOfWork, event: OrderCreated) -> None:
    """The order made for a checkout: its number is what the visitor waits for (an order made in
    the CRM has no checkout)."""
    if event.checkout_id is not None:
        # Recorded and announced (adapters/checkout_notices.py) in one statement.
        await uow.checkouts.record_order(event.checkout_id, event.account_id, event.order_id, event.order_number)


async def on_payment_link_issued(uow: UnitOfWork, event: PaymentLinkIssued) -> None:
    """The payment link for a checkout's order, which the visitor waits for with its number."""
    if event.checkout_id is not None:
        await uow.checkouts.record_payment_link(event.checkout_id, event.account_id, event.url)
