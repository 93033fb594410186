"""What a use case needs from the world: its orders, a few lookups, the history and the outbox.

The adapters implement it over one PostgreSQL transaction; the unit tests over memory.
"""

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from contracts import Event

from ..domain.catalog import CatalogProduct
from ..domain.order import Contact, Order


class Orders(Protocol):
    async def load(self, account_id: UUID, order_id: UUID, *, for_update: bool = True) -> Order | None: ...

    async def lock(self, account_id: UUID, order_id: UUID) -> bool: ...

    async def save(self, order: Order) -> None: ...

    # Which orders a use case is about, each locked for it.
    async def following_offer(self, account_id: UUID, offer_id: UUID) -> list[UUID]: ...

    async def active_of_contact(self, contact_id: UUID) -> list[UUID]: ...

    async def unpaid_past_expiry(self, now: datetime, default_days: int, limit: int) -> list[tuple[UUID, UUID]]: ...

    async def with_due_windows(self, now: datetime, limit: int) -> list[tuple[UUID, UUID]]: ...


class Contacts(Protocol):
    async def get(self, account_id: UUID, contact_id: UUID) -> Contact | None: ...


class Pipelines(Protocol):
    async def exists(self, account_id: UUID, pipeline_id: UUID) -> bool: ...

    async def pipeline_of_stage(self, account_id: UUID, stage_id: UUID) -> UUID | None: ...

    async def first_stage(self, pipeline_id: UUID) -> UUID: ...

    async def default(self, account_id: UUID) -> tuple[UUID, UUID]: ...


class Catalog(Protocol):
    async def product(self, account_id: UUID, product_id: UUID) -> CatalogProduct | None: ...


class Schools(Protocol):
    async def time_zone(self, account_id: UUID) -> str | None:
        """The IANA zone the school named, if it did."""
        ...


class Outbox(Protocol):
    async def add(self, *events: Event) -> None: ...


class UnitOfWork(Protocol):
    orders: Orders
    contacts: Contacts
    pipelines: Pipelines
    catalog: Catalog
    schools: Schools
    outbox: Outbox

    async def history(
        self, order_id: UUID, account_id: UUID, actor: str, kind: str, details: dict[str, Any]
    ) -> None: ...
