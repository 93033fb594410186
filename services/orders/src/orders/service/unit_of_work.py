"""What a use case needs from the world: its orders, a few lookups, the history and the outbox.

The adapters implement it over one PostgreSQL transaction; the unit tests over memory.
"""

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from contracts import Event, ProductUpdated
from servicekit.idempotency import Idempotent

from ..domain.catalog import CatalogProduct
from ..domain.order import Contact, Order
from ..domain.pipeline import Intake, Pipeline, Visit
from ..domain.school import SchoolProfile


class Orders(Protocol):
    async def load(self, account_id: UUID, order_id: UUID, *, for_update: bool = True) -> Order | None: ...

    async def lock(self, account_id: UUID, order_id: UUID) -> bool: ...

    async def note(self, account_id: UUID, order_id: UUID, actor: str, kind: str, details: dict[str, Any]) -> bool:
        """A history entry on the school's order, its row locked first (its history keeps the order its
        writers queued in); False, nothing written, if the school has no such order."""

    async def save(self, order: Order) -> None: ...

    async def add(self, order: Order) -> None: ...

    async def visit(self, account_id: UUID, checkout_id: UUID, email: str) -> Visit:
        """In one round trip (this runs for every visit): the order already made for this checkout, if
        any; otherwise the school's default pipeline (None before its first use), its contact with this
        email (in any case), locked until the transaction ends, and the next order number, taken."""
        ...

    async def intake(self, intake: Intake) -> bool:
        """A visit's order, its lines and history, its contact (new, or the known one with what the
        visit fills in, counted as updated) and what the school's profile lacks, in one round trip.
        False, and nothing written, when a new contact's email was given to another contact meanwhile."""
        ...

    async def next_number(self, account_id: UUID) -> int: ...

    # Which orders a use case is about, each locked for it.
    async def following_offer(self, account_id: UUID, offer_id: UUID) -> list[UUID]: ...

    async def active_of_contact(self, contact_id: UUID) -> list[UUID]: ...

    async def unpaid_past_expiry(self, now: datetime, default_days: int, limit: int) -> list[tuple[UUID, UUID]]: ...

    async def with_due_windows(self, now: datetime, limit: int) -> list[tuple[UUID, UUID]]: ...


class Contacts(Protocol):
    async def get(self, account_id: UUID, contact_id: UUID) -> Contact | None: ...

    async def add(self, account_id: UUID, contact: Contact) -> bool:
        """False, and nothing written, if the school has a contact with this email (in any case)."""
        ...

    async def with_email(self, account_id: UUID, email: str, *, for_update: bool = False) -> Contact | None:
        """The school's contact with this email, in any case."""
        ...

    async def fill(self, contact_id: UUID, values: dict[str, Any]) -> None:
        """What a visit adds to a known contact (domain.order.filled_by_a_visit); the contact counts as
        updated even when the visit adds nothing."""
        ...

    async def update(self, contact_id: UUID, values: dict[str, Any]) -> bool:
        """False, and nothing changed, if the new email belongs to another contact of the school."""
        ...


class Pipelines(Protocol):
    async def get(self, account_id: UUID, pipeline_id: UUID) -> Pipeline | None:
        """The school's pipeline with its stages in their order."""
        ...

    async def holding(self, account_id: UUID, stage_id: UUID) -> Pipeline | None:
        """The school's pipeline that has this stage."""
        ...

    async def default(self, account_id: UUID) -> Pipeline | None:
        """The school's default pipeline; None before its first use (service.placement.default_pipeline)."""
        ...

    async def add_default(self, account_id: UUID, pipeline: Pipeline) -> bool:
        """The school's first pipeline, its default, with its stages; False, and nothing written, if the
        school has its default already (made by a concurrent first use)."""
        ...

    async def lock(self, account_id: UUID, pipeline_id: UUID) -> bool | None:
        """Lock the school's pipeline against concurrent edits and orders moving in: whether it is
        the default, None if the school has no such pipeline."""
        ...

    async def add(self, account_id: UUID, pipeline_id: UUID, name: str) -> None: ...

    async def rename(self, pipeline_id: UUID, name: str) -> None: ...

    async def make_default(self, account_id: UUID, pipeline_id: UUID) -> None: ...

    async def stage_ids(self, pipeline_id: UUID) -> set[UUID]: ...

    async def stages_holding_orders(self, stage_ids: list[UUID]) -> set[UUID]: ...

    async def replace_stages(
        self, account_id: UUID, pipeline_id: UUID, wanted: list[dict[str, Any]], removed: list[UUID]
    ) -> None:
        """The stages in the wanted order: one `existing` keeps its id (and its orders), `removed` go."""
        ...

    async def orders_in(self, pipeline_id: UUID) -> int: ...

    async def delete(self, pipeline_id: UUID) -> None:
        """The pipeline and its stages."""
        ...


class Catalog(Protocol):
    async def product(self, account_id: UUID, product_id: UUID) -> CatalogProduct | None: ...

    async def record(self, event: ProductUpdated) -> None:
        """The school's product as offers announced it; an announcement older than the copy held
        (`occurred_at`) changes nothing, as one arriving late must not undo a newer one."""
        ...


class Schools(Protocol):
    async def profile(self, account_id: UUID) -> SchoolProfile | None: ...

    async def time_zone(self, account_id: UUID) -> str | None:
        """The IANA zone the school named, if it did."""
        ...

    async def fill(self, account_id: UUID, *, name: str | None, locale: str | None) -> None: ...

    async def describe(self, account_id: UUID, *, name: str, locale: str | None, time_zone: str | None) -> None:
        """The school's profile as offers announces it (SchoolUpdated): what it says replaces what was held."""
        ...

    async def set(self, account_id: UUID, **settings: Any) -> None:
        """The school's own CRM settings, as its manager set them; None puts one back to its default."""
        ...


class Idempotency(Protocol):
    async def made_before(self, scope: str, request: Idempotent | None) -> UUID | None:
        """What an earlier request under this key made (servicekit.idempotency): a concurrent
        repeat waits for the first to commit; another request under it is IdempotencyKeyReused."""
        ...

    async def remember(self, scope: str, request: Idempotent | None, resource_id: UUID) -> None: ...


class Outbox(Protocol):
    async def add(self, *events: Event) -> None: ...


class UnitOfWork(Protocol):
    orders: Orders
    contacts: Contacts
    pipelines: Pipelines
    catalog: Catalog
    schools: Schools
    idempotency: Idempotency
    outbox: Outbox

    async def history(
        self, order_id: UUID, account_id: UUID, actor: str, kind: str, details: dict[str, Any]
    ) -> None: ...
