"""An in-memory unit of work, so the use cases run without a database; and an order to start from."""

import copy
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest
from contracts import AccessTerms, ProductUpdated
from orders.domain.catalog import CatalogProduct
from orders.domain.order import Contact, Funnel, Line, Order, StaleVersion
from orders.domain.pipeline import Intake, Pipeline, Stage, Visit
from orders.domain.school import SchoolProfile
from servicekit.testing import MemoryIdempotency, MemoryOutbox


class MemoryOrders:
    """Loads hand out copies, so a use case that fails half-way leaves what was saved untouched."""

    def __init__(self, pipelines: "MemoryPipelines", contacts: "MemoryContacts", schools: "MemorySchools") -> None:
        self.saved: dict[uuid.UUID, Order] = {}
        self.history: list[tuple[uuid.UUID, str, str, dict[str, Any]]] = []
        self.payments: list[uuid.UUID] = []
        self.saves = 0
        self.numbers = 0
        self.pipelines = pipelines  # where a visit's order goes: the school's default
        self.contacts = contacts  # who it is for, written with it
        self.schools = schools

    def put(self, order: Order) -> Order:
        """An order as if saved earlier."""
        self.saved[order.id] = copy.deepcopy(order)
        return order

    async def load(self, account_id: uuid.UUID, order_id: uuid.UUID, *, for_update: bool = True) -> Order | None:
        order = self.saved.get(order_id)
        if order is None or order.account_id != account_id:
            return None
        loaded = copy.deepcopy(order)
        loaded.loaded_version = order.version  # type: ignore[attr-defined]
        return loaded

    async def lock(self, account_id: uuid.UUID, order_id: uuid.UUID) -> bool:
        order = self.saved.get(order_id)
        return order is not None and order.account_id == account_id

    async def note(self, account_id: uuid.UUID, order_id: uuid.UUID, actor: str, kind: str,
                   details: dict[str, Any]) -> bool:
        if not await self.lock(account_id, order_id):
            return False
        self.history.append((order_id, actor, kind, details))
        return True

    async def add(self, order: Order) -> None:
        self.history += [(order.id, e.actor, e.kind, e.details) for e in order.entries]
        order.entries.clear()
        self.saved[order.id] = copy.deepcopy(order)

    async def visit(self, account_id: uuid.UUID, checkout_id: uuid.UUID, email: str) -> Visit:
        existing = next((o.id for o in self.saved.values() if o.checkout_id == checkout_id), None)
        if existing is not None:
            return Visit(existing, None, None, None)
        return Visit(None, await self.pipelines.default(account_id),
                     await self.contacts.with_email(account_id, email), await self.next_number(account_id))

    async def intake(self, intake: Intake) -> bool:
        contact, account = intake.contact, intake.order.account_id
        if contact.id in self.contacts.known:
            was = self.contacts.known[contact.id][1]
            await self.contacts.fill(contact.id, {f: getattr(contact, f) for f in ("phone", "locale")
                                                  if getattr(contact, f) != getattr(was, f)})
        elif not await self.contacts.add(account, contact):
            return False
        await self.schools.fill(account, name=intake.school_name, locale=intake.school_locale)
        await self.add(intake.order)
        return True

    async def next_number(self, account_id: uuid.UUID) -> int:
        self.numbers += 1
        return self.numbers

    async def following_offer(self, account_id: uuid.UUID, offer_id: uuid.UUID) -> list[uuid.UUID]:
        return sorted(o.id for o in self.saved.values() if o.account_id == account_id
                      and any(line.offer_id == offer_id and not line.customised for line in o.lines))

    async def active_of_contact(self, contact_id: uuid.UUID) -> list[uuid.UUID]:
        return sorted(o.id for o in self.saved.values() if o.contact and o.contact.id == contact_id
                      and o.state == "active")

    async def unpaid_past_expiry(self, now: Any, default_days: int, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        return [(o.id, o.account_id) for o in self.saved.values() if o.payment_status == "not_paid"][:limit]

    async def with_due_windows(self, now: Any, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        return [(o.id, o.account_id) for o in self.saved.values()
                if any(line.window and line.window.ends_at and line.window.ends_at <= now for line in o.lines)][:limit]

    async def save(self, order: Order) -> None:
        if self.saved[order.id].version != order.loaded_version:  # type: ignore[attr-defined]
            raise StaleVersion(self.saved[order.id].version)
        self.saves += 1
        self.history += [(order.id, e.actor, e.kind, e.details) for e in order.entries]
        self.payments += [p.payment_id for p in order.received]
        order.entries.clear()
        order.received.clear()
        self.saved[order.id] = copy.deepcopy(order)
        order.loaded_version = order.version  # type: ignore[attr-defined]


@dataclass
class MemoryContacts:
    known: dict[uuid.UUID, tuple[uuid.UUID, Contact]] = field(default_factory=dict)
    filled: list[tuple[uuid.UUID, dict[str, Any]]] = field(default_factory=list)  # each fill, even of nothing

    async def get(self, account_id: uuid.UUID, contact_id: uuid.UUID) -> Contact | None:
        found = self.known.get(contact_id)
        return found[1] if found and found[0] == account_id else None

    async def add(self, account_id: uuid.UUID, contact: Contact) -> bool:
        if await self.with_email(account_id, contact.email) is not None:
            return False
        self.known[contact.id] = (account_id, contact)
        return True

    async def with_email(self, account_id: uuid.UUID, email: str, *, for_update: bool = False) -> Contact | None:
        return next((contact for known_account, contact in self.known.values()
                     if known_account == account_id and contact.email.lower() == email.lower()), None)

    async def fill(self, contact_id: uuid.UUID, values: dict[str, Any]) -> None:
        account_id, contact = self.known[contact_id]
        self.known[contact_id] = (account_id, replace(contact, **values))
        self.filled.append((contact_id, values))

    async def update(self, contact_id: uuid.UUID, values: dict[str, Any]) -> bool:
        account_id, contact = self.known[contact_id]
        if "email" in values:
            other = await self.with_email(account_id, values["email"])
            if other is not None and other.id != contact_id:
                return False
        self.known[contact_id] = (account_id, replace(contact, **values))
        return True


@dataclass
class MemoryPipelines:
    # pipeline id -> (account, its stages in order)
    known: dict[uuid.UUID, tuple[uuid.UUID, list[uuid.UUID]]] = field(default_factory=dict)

    # What the pipeline use cases change beyond the stages: pipeline id -> its name; school -> its
    # default; stage id -> its name and marks (stages a test made without them have none); the
    # orders a test put in stages and pipelines.
    names: dict[uuid.UUID, str] = field(default_factory=dict)
    defaults: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    stage_rows: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    busy_stages: set[uuid.UUID] = field(default_factory=set)
    orders: dict[uuid.UUID, int] = field(default_factory=dict)
    locked: list[uuid.UUID] = field(default_factory=list)

    async def exists(self, account_id: uuid.UUID, pipeline_id: uuid.UUID) -> bool:
        return pipeline_id in self.known and self.known[pipeline_id][0] == account_id

    async def get(self, account_id: uuid.UUID, pipeline_id: uuid.UUID) -> Pipeline | None:
        if not await self.exists(account_id, pipeline_id):
            return None
        return Pipeline(pipeline_id, tuple(Stage(s, **self.stage_rows.get(s, {})) for s in self.known[pipeline_id][1]),
                        self.names.get(pipeline_id, ""), self.defaults.get(account_id) == pipeline_id)

    async def holding(self, account_id: uuid.UUID, stage_id: uuid.UUID) -> Pipeline | None:
        found = next((p for p, (a, stages) in self.known.items() if a == account_id and stage_id in stages), None)
        return None if found is None else await self.get(account_id, found)

    async def default(self, account_id: uuid.UUID) -> Pipeline | None:
        return await self.get(account_id, self.defaults[account_id]) if account_id in self.defaults else None

    async def add_default(self, account_id: uuid.UUID, pipeline: Pipeline) -> bool:
        if account_id in self.defaults:
            return False
        self.known[pipeline.id] = (account_id, [s.id for s in pipeline.stages])
        self.names[pipeline.id] = pipeline.name
        self.stage_rows.update({s.id: {"name": s.name, "on_full_payment": s.on_full_payment,
                                       "on_cancel": s.on_cancel} for s in pipeline.stages})
        self.defaults[account_id] = pipeline.id
        return True

    async def lock(self, account_id: uuid.UUID, pipeline_id: uuid.UUID) -> bool | None:
        if not await self.exists(account_id, pipeline_id):
            return None
        self.locked.append(pipeline_id)
        return self.defaults.get(account_id) == pipeline_id

    async def add(self, account_id: uuid.UUID, pipeline_id: uuid.UUID, name: str) -> None:
        self.known[pipeline_id] = (account_id, [])
        self.names[pipeline_id] = name

    async def rename(self, pipeline_id: uuid.UUID, name: str) -> None:
        self.names[pipeline_id] = name

    async def make_default(self, account_id: uuid.UUID, pipeline_id: uuid.UUID) -> None:
        self.defaults[account_id] = pipeline_id

    async def stage_ids(self, pipeline_id: uuid.UUID) -> set[uuid.UUID]:
        return set(self.known[pipeline_id][1])

    async def stages_holding_orders(self, stage_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        return self.busy_stages.intersection(stage_ids)

    async def replace_stages(
        self, account_id: uuid.UUID, pipeline_id: uuid.UUID, wanted: list[dict[str, Any]], removed: list[uuid.UUID]
    ) -> None:
        for stage_id in removed:
            self.stage_rows.pop(stage_id, None)
        self.stage_rows.update({s["id"]: {k: v for k, v in s.items() if k not in ("id", "existing")} for s in wanted})
        self.known[pipeline_id] = (account_id, [s["id"] for s in wanted])

    async def orders_in(self, pipeline_id: uuid.UUID) -> int:
        return self.orders.get(pipeline_id, 0)

    async def delete(self, pipeline_id: uuid.UUID) -> None:
        for stage_id in self.known.pop(pipeline_id)[1]:
            self.stage_rows.pop(stage_id, None)
        self.names.pop(pipeline_id, None)


@dataclass
class MemoryCatalog:
    """The schools' products as offers announced them, by product: the newest announcement's."""

    announced: dict[uuid.UUID, ProductUpdated] = field(default_factory=dict)

    async def product(self, account_id: uuid.UUID, product_id: uuid.UUID) -> CatalogProduct | None:
        found = self.announced.get(product_id)
        if found is None or found.account_id != account_id:
            return None
        return CatalogProduct(found.product_id, found.title, tuple(found.modules), found.defaults)

    async def record(self, event: ProductUpdated) -> None:
        held = self.announced.get(event.product_id)
        if held is not None and held.occurred_at >= event.occurred_at:
            return
        if held is not None and event.defaults is None:  # an announcement without them keeps what is known
            event = event.model_copy(update={"defaults": held.defaults})
        self.announced[event.product_id] = event


@dataclass
class MemorySchools:
    profiles: dict[uuid.UUID, SchoolProfile] = field(default_factory=dict)
    # The settings a manager set, by school, beside the profile other services describe.
    settings: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)

    async def profile(self, account_id: uuid.UUID) -> SchoolProfile | None:
        return self.profiles.get(account_id)

    async def time_zone(self, account_id: uuid.UUID) -> str | None:
        return self.profiles[account_id].time_zone if account_id in self.profiles else None

    async def fill(self, account_id: uuid.UUID, *, name: str | None, locale: str | None) -> None:
        was = self.profiles.get(account_id, SchoolProfile())
        self.profiles[account_id] = replace(was, name=was.name or name, locale=was.locale or locale)

    async def describe(self, account_id: uuid.UUID, *, name: str, locale: str | None, time_zone: str | None) -> None:
        was = self.profiles.get(account_id, SchoolProfile())
        self.profiles[account_id] = replace(was, name=name, locale=locale, time_zone=time_zone)

    async def set(self, account_id: uuid.UUID, **settings: Any) -> None:
        self.settings.setdefault(account_id, {}).update(settings)
        if "phone_region" in settings:
            was = self.profiles.get(account_id, SchoolProfile())
            self.profiles[account_id] = replace(was, phone_region=settings["phone_region"])


class MemoryUnitOfWork:
    def __init__(self) -> None:
        self.pipelines = MemoryPipelines()
        self.contacts = MemoryContacts()
        self.schools = MemorySchools()
        self.orders = MemoryOrders(self.pipelines, self.contacts, self.schools)
        self.catalog = MemoryCatalog()
        self.idempotency = MemoryIdempotency()
        self.outbox = MemoryOutbox()

    async def history(
        self, order_id: uuid.UUID, account_id: uuid.UUID, actor: str, kind: str, details: dict[str, Any]
    ) -> None:
        self.orders.history.append((order_id, actor, kind, details))


@dataclass(frozen=True)
class School:
    account: uuid.UUID
    pipeline: uuid.UUID
    stages: tuple[uuid.UUID, ...]  # new, in progress, paid (on full payment), cancelled (on cancel)

    @property
    def funnel(self) -> Funnel:
        return Funnel(self.pipeline, self.stages[0], self.stages[2], self.stages[3])


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def school(uow: MemoryUnitOfWork) -> School:
    school = School(uuid.uuid4(), uuid.uuid4(), tuple(uuid.uuid4() for _ in range(4)))
    uow.pipelines.known[school.pipeline] = (school.account, list(school.stages))
    return school


@pytest.fixture
def new_order(uow: MemoryUnitOfWork, school: School):
    """`new_order(**fields)`: an unpaid order of two lines (600 + 400 UAH), saved in the unit of work."""

    def make(**fields: Any) -> Order:
        contact = Contact(uuid.uuid4(), "Olena", "olena@example.com", None, "uk")
        uow.contacts.known[contact.id] = (school.account, contact)
        lines = [Line(uuid.uuid4(), uuid.uuid4(), f"Course {n}", Decimal(price), AccessTerms(), position=n)
                 for n, price in enumerate(("600.0000", "400.0000"))]
        values: dict[str, Any] = {
            "id": uuid.uuid4(), "account_id": school.account, "number": 7, "currency": "UAH",
            "subtotal": Decimal("1000.0000"), "total": Decimal("1000.0000"), "contact": contact,
            "funnel": school.funnel, "stage_id": school.stages[0], "lines": lines, **fields,
        }
        return uow.orders.put(Order(**values))

    return make
