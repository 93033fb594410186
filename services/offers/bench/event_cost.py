"""What the offers side of one purchase costs: CPU and SQL statements per message.

    python services/offers/bench/event_cost.py [--orders 2000] [--warmup 50] [--batch 1]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Starts an embedded PostgreSQL (or uses the server given) with a fresh offers database, one
school with one product and one offer on the sandbox, and registers the service's subscribers
(entrypoints/subscribers.py) on a batch consumer, as the service does in batch mode. The events
are fed to that consumer's own per-partition step (decoding, the inbox claim, a savepoint per
event, the use case), `--batch` records at a time; only the broker's fetch and the offset commit
are left out. The two visitor's requests are what their routes do: POST
/public/offers/{offer_id}/checkouts opens the offer in one transaction (`service.open_offer`);
GET /public/checkouts/{checkout_id} reads the checkout's status once (what each poll does).

Each kind is timed on its own, one per purchase, in the order of a purchase: the checkout opened,
its status read, OrderCreated, PaymentLinkIssued. `--warmup` purchases go first, untimed. For each
kind: this process's CPU per message (PostgreSQL runs elsewhere) and the SQL statements per message,
as the service counts them (`db_statements_total`): those of the message's own work, and those of
the consumer's claim of each batch.
"""

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from contracts import AccessTerms, ContactData, Event, OrderCreated, OrderLine, PaymentLinkIssued, PlannedPayment
from faststream.kafka import KafkaBroker
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres, create_databases, database_url
from offers import service, views
from offers.domain.product import CourseDefaults
from offers.domain.school import SchoolProfile
from offers.entrypoints import subscribers
from offers.main import MIGRATIONS
from servicekit.batches import BatchConsumer, batch_consumer_of
from servicekit.db import create_engine
from servicekit.messaging import ConsumerGroup
from servicekit.metrics import DB_STATEMENTS
from servicekit.migrations import upgrade

PRICE = Decimal("1547.36")


def records(events: list[Event]) -> list[ConsumerRecord]:
    return [
        ConsumerRecord(topic=e.topic, partition=0, offset=i, timestamp=0, timestamp_type=0, key=None,
                       value=e.model_dump_json().encode(), checksum=None, serialized_key_size=0,
                       serialized_value_size=0, headers=())
        for i, e in enumerate(events)
    ]


async def apply(consumer: BatchConsumer, events: list[Event], batch: int) -> None:
    for start in range(0, len(events), batch):
        chunk = events[start:start + batch]
        outcome = await consumer._apply(consumer.routes[chunk[0].topic], records(chunk), None)
        if outcome.retry is not None:
            raise RuntimeError(f"{chunk[0].event_type} was not applied: see the log")


def statements() -> dict[str, float]:
    """db_statements_total by work, as /metrics shows it."""
    return {s.labels["work"]: s.value for m in DB_STATEMENTS.collect() for s in m.samples
            if s.name.endswith("_total")}


class Purchase:
    """One visitor's way through the offers service."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.checkout_id: uuid.UUID | None = None

    def order(self, account_id: uuid.UUID, offer_id: uuid.UUID) -> OrderCreated:
        assert self.checkout_id is not None
        line = OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python", price=PRICE)
        # Derived from the checkout, so the link below is the same order's.
        self._order = OrderCreated(
            account_id=account_id, correlation_id=uuid.uuid4(), order_id=uuid.uuid5(self.checkout_id, "order"),
            order_number=1000 + self.index, checkout_id=self.checkout_id, offer_id=offer_id,
            school_name="Kyiv Code School", contact_id=uuid.uuid4(), contact=self.contact(), currency="UAH",
            lines=[line], discount=Decimal(0), total=PRICE,
            payment_plan=[PlannedPayment(type="regular", amount=PRICE)], provider="sandbox",
        )
        return self._order

    def link(self) -> PaymentLinkIssued:
        payment_id = uuid.uuid4()
        return PaymentLinkIssued.caused_by(
            self._order, order_id=self._order.order_id, payment_id=payment_id, checkout_id=self.checkout_id,
            amount=PRICE, currency="UAH", provider="sandbox", url=f"http://127.0.0.1:8005/sandbox/pay/{payment_id}",
        )

    def contact(self) -> ContactData:
        return ContactData(name="Ivan Petrenko", email=f"ivan.{self.index}@example.com")


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="offers-event-cost-"))
    pg = None
    try:
        admin = args.postgres_url
        if not admin:
            pg = EmbeddedPostgres(workdir / "pgdata", free_port())
            pg.start()
            admin = pg.url()
        name = f"offers_cost_{uuid.uuid4().hex[:8]}"
        await create_databases(admin, [name])
        url = database_url(admin, name)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        engine = create_engine(url)
        try:
            broker = KafkaBroker()
            subscribers.register(broker, engine, ConsumerGroup("offers", mode="batch"))
            consumer = batch_consumer_of(broker)
            assert consumer is not None
            account_id = uuid.uuid4()
            async with engine.begin() as conn:
                await service.set_school(conn, account_id, SchoolProfile(name="Kyiv Code School"), uuid.uuid4())
                product = await service.create_product(
                    conn, account_id, title="Python", kind="course", modules=[], defaults=CourseDefaults(),
                    correlation_id=uuid.uuid4(),
                )
                offer = await service.create_offer(
                    conn, account_id, title="Python for data analysis", currency="UAH",
                    items=[(product.id, PRICE, AccessTerms())], correlation_id=uuid.uuid4(),
                )
            purchases = [Purchase(i) for i in range(args.warmup + args.orders)]
            warming, timed = purchases[:args.warmup], purchases[args.warmup:]

            async def opened(batch: list[Purchase]) -> None:
                for p in batch:
                    async with engine.begin() as conn:
                        p.checkout_id = await service.open_offer(
                            conn, offer.id, p.contact(), "page", uuid.uuid4(), sandbox_enabled=True,
                        )

            async def polled(batch: list[Purchase]) -> None:
                for p in batch:
                    assert p.checkout_id is not None
                    async with engine.connect() as conn:
                        found = await views.checkout_status(conn, p.checkout_id)
                    if found is None:
                        raise RuntimeError(f"no checkout {p.checkout_id}")

            async def ordered(batch: list[Purchase]) -> None:
                await apply(consumer, [p.order(account_id, offer.id) for p in batch], args.batch)

            async def linked(batch: list[Purchase]) -> None:
                await apply(consumer, [p.link() for p in batch], args.batch)

            kinds: list[tuple[str, Callable[[list[Purchase]], Awaitable[None]]]] = [
                ("POST checkouts", opened), ("GET checkout", polled),
                ("OrderCreated", ordered), ("PaymentLinkIssued", linked),
            ]
            for _, step in kinds:
                await step(warming)
            print(f"{args.orders} purchases, batch {args.batch}")
            print(f"{'message':<18} {'msg/s':>7} {'CPU µs/msg':>11} {'statements/msg':>15} {'claims/msg':>11}")
            for label, step in kinds:
                before = statements()
                cpu, wall = time.process_time(), time.perf_counter()
                await step(timed)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                after = statements()
                spent = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
                claims = sum(v for k, v in spent.items() if k.startswith("batch "))
                work = sum(spent.values()) - claims
                n = len(timed)
                print(f"{label:<18} {n / wall:>7.0f} {cpu / n * 1e6:>11.0f} {work / n:>15.2f} {claims / n:>11.2f}")
            async with engine.connect() as conn:
                last = await views.checkout_status(conn, timed[-1].checkout_id)
            if last is None or last["status"] != "ready":
                raise RuntimeError(f"the last checkout is not ready: {last}")
        finally:
            await engine.dispose()
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
