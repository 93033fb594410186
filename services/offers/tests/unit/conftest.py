"""An in-memory unit of work, so offers's use cases run without a database."""

import copy
import uuid
from dataclasses import replace

import pytest
from contracts import AccessTerms
from offers.domain.offer import Checkout, Offer
from offers.domain.product import Product
from offers.domain.school import SchoolProfile
from servicekit.testing import MemoryIdempotency, MemoryOutbox


class MemorySchools:
    def __init__(self) -> None:
        self.profiles: dict[uuid.UUID, SchoolProfile] = {}
        self.held: list[uuid.UUID] = []
        self.saves = 0

    async def hold(self, account_id: uuid.UUID) -> SchoolProfile | None:
        self.held.append(account_id)
        return self.profiles.get(account_id)

    async def save(self, account_id: uuid.UUID, profile: SchoolProfile) -> None:
        self.profiles[account_id] = profile
        self.saves += 1


class MemoryProducts:
    """Reads hand out copies, so a use case that fails half-way leaves what was stored untouched."""

    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, Product] = {}
        self.locked: list[uuid.UUID] = []

    def put(self, product: Product) -> Product:
        """A product as if added earlier."""
        self.stored[product.id] = copy.deepcopy(product)
        return product

    async def get(self, account_id: uuid.UUID, product_id: uuid.UUID, *, for_update: bool = False
                  ) -> Product | None:
        found = self.stored.get(product_id)
        if found is None or found.account_id != account_id:
            return None
        if for_update:
            self.locked.append(product_id)
        return copy.deepcopy(found)

    async def of_ids(self, account_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, Product]:
        return {p.id: copy.deepcopy(p) for p in self.stored.values() if p.account_id == account_id and p.id in ids}

    async def add(self, product: Product) -> None:
        assert product.id not in self.stored
        self.stored[product.id] = copy.deepcopy(product)

    async def update(self, product: Product) -> None:
        assert product.id in self.stored
        self.stored[product.id] = copy.deepcopy(product)


class MemoryOffers:
    """The offers with their versions; item titles are the products' titles when read, as in SQL."""

    def __init__(self, schools: MemorySchools, products: MemoryProducts) -> None:
        self.stored: dict[uuid.UUID, Offer] = {}
        self.versions: list[tuple[uuid.UUID, int]] = []
        self.locked: list[uuid.UUID] = []
        self.schools = schools
        self.products = products

    def put(self, offer: Offer) -> Offer:
        """An offer as if added earlier."""
        self.stored[offer.id] = copy.deepcopy(offer)
        self.versions.append((offer.id, offer.version))
        return offer

    def _read(self, offer: Offer) -> Offer:
        items = [replace(i, product_title=self.products.stored[i.product_id].title) for i in offer.items]
        return replace(copy.deepcopy(offer), items=items)

    async def get(self, offer_id: uuid.UUID, account_id: uuid.UUID | None = None, *, for_update: bool = False
                  ) -> Offer | None:
        found = self.stored.get(offer_id)
        if found is None or (account_id is not None and found.account_id != account_id):
            return None
        if for_update:
            self.locked.append(offer_id)
        return self._read(found)

    async def with_school(self, offer_id: uuid.UUID) -> tuple[Offer, str | None, str | None] | None:
        found = await self.get(offer_id)
        if found is None:
            return None
        school = self.schools.profiles.get(found.account_id)
        return found, school.name if school else None, school.default_locale if school else None

    async def owner(self, offer_id: uuid.UUID) -> tuple[uuid.UUID, bool, uuid.UUID | None] | None:
        found = self.stored.get(offer_id)
        return (found.account_id, found.is_system_copy, found.source_offer_id) if found else None

    async def terms_selling(self, account_id: uuid.UUID, product_id: uuid.UUID) -> list[tuple[str, AccessTerms]]:
        return [(o.title, i.access) for o in self.stored.values() if o.account_id == account_id
                for i in o.items if i.product_id == product_id]

    async def add(self, offer: Offer) -> None:
        assert offer.id not in self.stored
        self.put(offer)

    async def replace(self, offer: Offer, expected_version: int) -> bool:
        stored = self.stored.get(offer.id)
        if stored is None or stored.account_id != offer.account_id or stored.version != expected_version:
            return False
        self.put(offer)
        return True


class MemoryCheckouts:
    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, Checkout] = {}
        self.notices: list[uuid.UUID] = []  # the checkouts announced as changed

    async def add(self, checkout: Checkout) -> None:
        assert checkout.id not in self.stored
        self.stored[checkout.id] = copy.deepcopy(checkout)

    def _of(self, checkout_id: uuid.UUID, account_id: uuid.UUID) -> Checkout | None:
        found = self.stored.get(checkout_id)
        return found if found is not None and found.account_id == account_id else None

    async def record_order(self, checkout_id: uuid.UUID, account_id: uuid.UUID, order_id: uuid.UUID,
                           number: int) -> None:
        if (found := self._of(checkout_id, account_id)) is not None:
            found.order_id, found.order_number = order_id, number
            if found.payment_url is not None:
                found.status = "ready"
        self.notices.append(checkout_id)

    async def record_payment_link(self, checkout_id: uuid.UUID, account_id: uuid.UUID, url: str) -> None:
        if (found := self._of(checkout_id, account_id)) is not None:
            found.payment_url = url
            if found.order_number is not None:
                found.status = "ready"
        self.notices.append(checkout_id)


class MemoryUnitOfWork:
    def __init__(self) -> None:
        self.schools = MemorySchools()
        self.products = MemoryProducts()
        self.offers = MemoryOffers(self.schools, self.products)
        self.checkouts = MemoryCheckouts()
        self.idempotency = MemoryIdempotency()
        self.outbox = MemoryOutbox()
        self.inbox: set[tuple[str, uuid.UUID]] = set()

    async def record_if_new(self, consumer: str, event_id: uuid.UUID) -> bool:
        if (consumer, event_id) in self.inbox:
            return False
        self.inbox.add((consumer, event_id))
        return True


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()
