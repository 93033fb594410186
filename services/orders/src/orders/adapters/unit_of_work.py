"""One use case's transaction: its orders, the lookups it needs, its history rows and its events."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from contracts import ProductUpdated
from pydantic_core import to_jsonable_python
from servicekit.unit_of_work import SqlUnitOfWork as KitUnitOfWork
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.catalog import CatalogProduct
from ..domain.order import Contact
from ..domain.pipeline import Pipeline
from ..domain.school import SchoolProfile
from . import repository as repo
from .orders import SqlOrders
from .tables import contacts, idempotent_requests, outbox, pipelines

T = TypeVar("T")


class SqlContacts:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, account_id: UUID, contact_id: UUID) -> Contact | None:
        row = (await self.conn.execute(
            select(contacts).where(contacts.c.account_id == account_id, contacts.c.id == contact_id))).first()
        return None if row is None else Contact(row.id, row.name, row.email, row.phone, row.locale)

    async def add(self, account_id: UUID, contact: Contact) -> bool:
        return await repo.insert_contact(self.conn, account_id, contact)

    async def with_email(self, account_id: UUID, email: str, *, for_update: bool = False) -> Contact | None:
        row = await repo.contact_by_email(self.conn, account_id, email, for_update=for_update)
        return None if row is None else Contact(row.id, row.name, row.email, row.phone, row.locale)

    async def fill(self, contact_id: UUID, values: dict[str, Any]) -> None:
        await repo.fill_contact(self.conn, contact_id, values)

    async def update(self, contact_id: UUID, values: dict[str, Any]) -> bool:
        return await repo.update_contact(self.conn, contact_id, values)


class SqlPipelines:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, account_id: UUID, pipeline_id: UUID) -> Pipeline | None:
        return await repo.pipeline_where(self.conn, account_id, pipelines.c.id == pipeline_id)

    async def holding(self, account_id: UUID, stage_id: UUID) -> Pipeline | None:
        return await repo.pipeline_of_stage(self.conn, account_id, stage_id)

    async def default(self, account_id: UUID) -> Pipeline | None:
        return await repo.pipeline_where(self.conn, account_id, pipelines.c.is_default)

    async def add_default(self, account_id: UUID, pipeline: Pipeline) -> bool:
        return await repo.add_default_pipeline(self.conn, account_id, pipeline)

    async def lock(self, account_id: UUID, pipeline_id: UUID) -> bool | None:
        row = await repo.pipeline_row(self.conn, account_id, pipeline_id, for_update=True)
        return None if row is None else row.is_default

    async def add(self, account_id: UUID, pipeline_id: UUID, name: str) -> None:
        await repo.add_pipeline(self.conn, account_id, pipeline_id, name)

    async def rename(self, pipeline_id: UUID, name: str) -> None:
        await repo.rename_pipeline(self.conn, pipeline_id, name)

    async def make_default(self, account_id: UUID, pipeline_id: UUID) -> None:
        await repo.make_default(self.conn, account_id, pipeline_id)

    async def stage_ids(self, pipeline_id: UUID) -> set[UUID]:
        return {s.id for s in await repo.stages_of(self.conn, pipeline_id)}

    async def stages_holding_orders(self, stage_ids: list[UUID]) -> set[UUID]:
        return await repo.stages_holding_orders(self.conn, stage_ids)

    async def replace_stages(
        self, account_id: UUID, pipeline_id: UUID, wanted: list[dict[str, Any]], removed: list[UUID]
    ) -> None:
        await repo.replace_stages(self.conn, account_id, pipeline_id, wanted, removed)

    async def orders_in(self, pipeline_id: UUID) -> int:
        return await repo.orders_in_pipeline(self.conn, pipeline_id)

    async def delete(self, pipeline_id: UUID) -> None:
        await repo.delete_pipeline(self.conn, pipeline_id)


class SqlCatalog:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def product(self, account_id: UUID, product_id: UUID) -> CatalogProduct | None:
        return await repo.catalog_product(self.conn, account_id, product_id)

    async def record(self, event: ProductUpdated) -> None:
        await repo.save_catalog_product(self.conn, event)


class SqlSchools:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def profile(self, account_id: UUID) -> SchoolProfile | None:
        school = await repo.school(self.conn, account_id)
        return None if school is None else SchoolProfile(school.name, school.locale, school.time_zone,
                                                         school.phone_region)

    async def time_zone(self, account_id: UUID) -> str | None:
        school = await self.profile(account_id)
        return school.time_zone if school else None

    async def fill(self, account_id: UUID, *, name: str | None, locale: str | None) -> None:
        """What the school's profile lacks, as another service described it; never overwritten here."""
        await repo.fill_school(self.conn, account_id, name, locale)

    async def describe(self, account_id: UUID, *, name: str, locale: str | None, time_zone: str | None) -> None:
        await repo.save_school(self.conn, account_id, name=name, locale=locale, time_zone=time_zone)

    async def set(self, account_id: UUID, **settings: Any) -> None:
        await repo.save_school(self.conn, account_id, **settings)


class SqlUnitOfWork(KitUnitOfWork):
    """Orders' unit of work: the kit's (the transaction, the inbox, Idempotency-Key records, the
    outbox) with the stores of what orders keeps."""

    idempotency_table = idempotent_requests
    outbox_table = outbox

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self.orders = SqlOrders(conn)
        self.contacts = SqlContacts(conn)
        self.pipelines = SqlPipelines(conn)
        self.catalog = SqlCatalog(conn)
        self.schools = SqlSchools(conn)

    async def history(self, order_id: UUID, account_id: UUID, actor: str, kind: str, details: dict[str, Any]) -> None:
        await repo.add_history(self.conn, order_id, account_id, actor, kind, to_jsonable_python(details))


def joined(use_case: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """A use case as servicekit's consumers and the clock call it: on a connection whose transaction
    is already open (for a consumer, with the event recorded in its inbox)."""

    async def handler(conn: AsyncConnection, *args: Any, **kwargs: Any) -> T:
        return await use_case(SqlUnitOfWork(conn), *args, **kwargs)

    handler.__name__ = handler.__qualname__ = use_case.__name__
    handler.__doc__ = use_case.__doc__
    return handler
