"""What the offers side of one purchase costs: CPU and SQL statements per message.

    python services/offers/bench/event_cost.py [--orders 2000] [--warmup 50] [--batch 1]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Starts an embedded PostgreSQL (or uses the server given) with a fresh offers database, one
school with one product and one offer on the sandbox, and registers the service's subscribers
(entrypoints/subscribers.py) on a batch consumer, as the service does in batch mode. The events
are fed to that consumer's own per-partition step (decoding, the inbox record, a savepoint per
event, the use case), `--batch` records at a time; only the broker's fetch and the offset commit
are left out. The two visitor's requests are what their routes do: POST
/public/offers/{offer_id}/checkouts opens the offer in one transaction (`service.open_offer`);
GET /public/checkouts/{checkout_id} reads the checkout's status once (what each poll does).

Each kind is timed on its own, one per purchase, in the order of a purchase: the checkout opened,
its status read, OrderCreated, PaymentLinkIssued. `--warmup` purchases go first, untimed. For each
kind: this process's CPU per message (PostgreSQL runs elsewhere) and the SQL statements per message,
as the service counts them (`db_statements_total`): those of the message's own work, and those of
the consumer's inbox record of each batch.
"""

import argparse
import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal

from contracts import AccessTerms, ContactData, OrderCreated, OrderLine, PaymentLinkIssued, PlannedPayment
from faststream.kafka import KafkaBroker
from localstack.message_bench import apply_polls, migrated_database, spending
from offers import service, views
from offers.adapters.unit_of_work import SqlUnitOfWork
from offers.domain.product import CourseDefaults
from offers.domain.school import SchoolProfile
from offers.entrypoints import subscribers
from offers.main import MIGRATIONS
from servicekit.batches import batch_consumer_of
from servicekit.db import create_engine
from servicekit.messaging import ConsumerGroup

PRICE = Decimal("1547.36")


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
    async with migrated_database("offers", MIGRATIONS, args.postgres_url) as url:
        engine = create_engine(url)
        try:
            broker = KafkaBroker()
            subscribers.register(broker, engine, ConsumerGroup("offers", mode="batch"),
                                 unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork)
            consumer = batch_consumer_of(broker)
            assert consumer is not None
            account_id = uuid.uuid4()
            async with SqlUnitOfWork.begin(engine) as uow:
                await service.set_school(uow, account_id, SchoolProfile(name="Kyiv Code School"), uuid.uuid4())
                product = await service.create_product(
                    uow, account_id, title="Python", kind="course", modules=[], defaults=CourseDefaults(),
                    correlation_id=uuid.uuid4(),
                )
                offer = await service.create_offer(
                    uow, account_id, title="Python for data analysis", currency="UAH",
                    items=[(product.id, PRICE, AccessTerms())], correlation_id=uuid.uuid4(),
                )
            purchases = [Purchase(i) for i in range(args.warmup + args.orders)]
            warming, timed = purchases[:args.warmup], purchases[args.warmup:]

            async def opened(batch: list[Purchase]) -> None:
                for p in batch:
                    async with SqlUnitOfWork.begin(engine) as uow:
                        p.checkout_id = await service.open_offer(
                            uow, offer.id, p.contact(), "page", uuid.uuid4(), sandbox_enabled=True,
                        )

            async def polled(batch: list[Purchase]) -> None:
                for p in batch:
                    assert p.checkout_id is not None
                    async with engine.connect() as conn:
                        found = await views.checkout_status(conn, p.checkout_id)
                    if found is None:
                        raise RuntimeError(f"no checkout {p.checkout_id}")

            async def ordered(batch: list[Purchase]) -> None:
                await apply_polls(consumer, [p.order(account_id, offer.id) for p in batch], args.batch)

            async def linked(batch: list[Purchase]) -> None:
                await apply_polls(consumer, [p.link() for p in batch], args.batch)

            kinds: list[tuple[str, Callable[[list[Purchase]], Awaitable[None]]]] = [
                ("POST checkouts", opened), ("GET checkout", polled),
                ("OrderCreated", ordered), ("PaymentLinkIssued", linked),
            ]
            for _, step in kinds:
                await step(warming)
            print(f"{args.orders} purchases, batch {args.batch}")
            print(f"{'message':<18} {'msg/s':>7} {'CPU µs/msg':>11} {'statements/msg':>15} {'inbox/msg':>11}")
            for label, step in kinds:
                with spending() as spent:
                    await step(timed)
                n = len(timed)
                print(f"{label:<18} {n / spent.wall:>7.0f} {spent.cpu / n * 1e6:>11.0f} {spent.work / n:>15.2f} "
                      f"{spent.inbox / n:>11.2f}")
            async with engine.connect() as conn:
                last = await views.checkout_status(conn, timed[-1].checkout_id)
            if last is None or last["status"] != "ready":
                raise RuntimeError(f"the last checkout is not ready: {last}")
        finally:
            await engine.dispose()


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
