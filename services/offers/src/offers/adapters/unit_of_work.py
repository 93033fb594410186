"""One use case's transaction: the school, its products, offers and checkouts, and its events.

Each store calls the statements of repository.py on the transaction's connection, the hot ones
straight to asyncpg as they are there.
"""

from uuid import UUID

from contracts import AccessTerms
from servicekit.unit_of_work import SqlUnitOfWork as KitUnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.offer import Checkout, Offer
from ..domain.product import Product
from ..domain.school import SchoolProfile
from . import repository as repo
from .tables import idempotent_requests, outbox


class SqlSchools:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def hold(self, account_id: UUID) -> SchoolProfile | None:
        return await repo.school_for_update(self.conn, account_id)

    async def save(self, account_id: UUID, profile: SchoolProfile) -> None:
        await repo.save_school(self.conn, account_id, profile)


class SqlProducts:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, account_id: UUID, product_id: UUID, *, for_update: bool = False) -> Product | None:
        return await repo.get_product(self.conn, account_id, product_id, for_update=for_update)

    async def of_ids(self, account_id: UUID, ids: list[UUID]) -> dict[UUID, Product]:
        return await repo.products_by_id(self.conn, account_id, ids)

    async def add(self, product: Product) -> None:
        await repo.add_product(self.conn, product)

    async def update(self, product: Product) -> None:
        await repo.update_product(self.conn, product)


class SqlOffers:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, offer_id: UUID, account_id: UUID | None = None, *, for_update: bool = False
                  ) -> Offer | None:
        return await repo.get_offer(self.conn, offer_id, account_id, for_update=for_update)

    async def with_school(self, offer_id: UUID) -> tuple[Offer, str | None, str | None] | None:
        return await repo.get_offer_with_school(self.conn, offer_id)

    async def owner(self, offer_id: UUID) -> tuple[UUID, bool, UUID | None] | None:
        return await repo.offer_exists(self.conn, offer_id)

    async def terms_selling(self, account_id: UUID, product_id: UUID) -> list[tuple[str, AccessTerms]]:
        return await repo.terms_selling(self.conn, account_id, product_id)

    async def add(self, offer: Offer) -> None:
        await repo.add_offer(self.conn, offer)

    async def replace(self, offer: Offer, expected_version: int) -> bool:
        return await repo.replace_offer(self.conn, offer, expected_version)


class SqlCheckouts:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, checkout: Checkout) -> None:
        await repo.add_checkout(self.conn, checkout)

    async def record_order(self, checkout_id: UUID, account_id: UUID, order_id: UUID, number: int) -> None:
        await repo.record_order(self.conn, checkout_id, account_id, order_id, number)

    async def record_payment_link(self, checkout_id: UUID, account_id: UUID, url: str) -> None:
        await repo.record_payment_link(self.conn, checkout_id, account_id, url)


class SqlUnitOfWork(KitUnitOfWork):
    """Offers' unit of work: the kit's (the transaction, the inbox, Idempotency-Key records, the
    outbox) with the stores of what offers keeps."""

    idempotency_table = idempotent_requests
    outbox_table = outbox

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self.schools = SqlSchools(conn)
        self.products = SqlProducts(conn)
        self.offers = SqlOffers(conn)
        self.checkouts = SqlCheckouts(conn)
