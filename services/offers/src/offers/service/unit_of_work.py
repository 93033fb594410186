"""What offers's use cases need from the world: the school, its products, offers and checkouts,
the idempotency keys, the outbox and the inbox.

The adapters implement it over one PostgreSQL transaction; the unit tests over memory.
"""

from typing import Protocol
from uuid import UUID

from contracts import AccessTerms, Event
from servicekit.idempotency import Idempotent

from ..domain.offer import Checkout, Offer
from ..domain.product import Product
from ..domain.school import SchoolProfile


class Schools(Protocol):
    async def hold(self, account_id: UUID) -> SchoolProfile | None:
        """The school's profile as it is, the school held until commit (even one with no profile yet),
        so concurrent edits announce their changes in the order they apply."""
        ...

    async def save(self, account_id: UUID, profile: SchoolProfile) -> None: ...


class Products(Protocol):
    async def get(self, account_id: UUID, product_id: UUID, *, for_update: bool = False) -> Product | None: ...

    async def of_ids(self, account_id: UUID, ids: list[UUID]) -> dict[UUID, Product]:
        """The school's products among these ids; another school's are left out."""
        ...

    async def add(self, product: Product) -> None: ...

    async def update(self, product: Product) -> None: ...


class Offers(Protocol):
    async def get(self, offer_id: UUID, account_id: UUID | None = None, *, for_update: bool = False
                  ) -> Offer | None: ...

    async def with_school(self, offer_id: UUID) -> tuple[Offer, str | None, str | None] | None:
        """The offer with its school's name and locale (None where the school has no profile), in one
        round trip: every checkout reads it."""
        ...

    async def owner(self, offer_id: UUID) -> tuple[UUID, bool, UUID | None] | None:
        """Whose offer this id is, whether it is a system copy, and of what."""
        ...

    async def terms_selling(self, account_id: UUID, product_id: UUID) -> list[tuple[str, AccessTerms]]:
        """The access terms every offer of the school (copies too) grants on this product, with its title."""
        ...

    async def add(self, offer: Offer) -> None:
        """The offer with its items and its first version."""
        ...

    async def replace(self, offer: Offer, expected_version: int) -> bool:
        """The offer's next version; False, nothing written, when the stored one is no longer
        `expected_version`."""
        ...


class Checkouts(Protocol):
    async def add(self, checkout: Checkout) -> None: ...

    async def record_order(self, checkout_id: UUID, account_id: UUID, order_id: UUID, number: int) -> None:
        """The checkout's order (ready once it has its link too), and the notice that it changed;
        nothing if the school has no such checkout."""
        ...

    async def record_payment_link(self, checkout_id: UUID, account_id: UUID, url: str) -> None:
        """The checkout's payment link (ready once it has its order too), and the notice that it
        changed; nothing if the school has no such checkout."""
        ...


class Idempotency(Protocol):
    async def made_before(self, scope: str, request: Idempotent | None) -> UUID | None:
        """What an earlier request under this key made (servicekit.idempotency): a concurrent
        repeat waits for the first to commit; another request under it is IdempotencyKeyReused."""
        ...

    async def remember(self, scope: str, request: Idempotent | None, resource_id: UUID) -> None: ...


class Outbox(Protocol):
    async def add(self, *events: Event) -> None:
        """Events to publish once the unit of work commits."""
        ...


class UnitOfWork(Protocol):
    schools: Schools
    products: Products
    offers: Offers
    checkouts: Checkouts
    idempotency: Idempotency
    outbox: Outbox

    async def record_if_new(self, consumer: str, event_id: UUID) -> bool:
        """The inbox: record a consumed event; False if this consumer applied it already."""
        ...
