"""What the payments side of one purchase costs: CPU and SQL statements per message.

    python services/payments/bench/event_cost.py [--orders 2000] [--warmup 50] [--batch 1]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Starts an embedded PostgreSQL (or uses the server given) with a fresh payments database and
registers the service's subscribers (entrypoints/subscribers.py) on a batch consumer, as the
service does in batch mode. The events are fed to that consumer's own per-partition step (decoding,
the inbox record, a savepoint per event, the use case), `--batch` records at a time; only the
broker's fetch and the offset commit are left out. The sandbox payment is what its route does: the
confirmation in one transaction (`service.confirm_payment`), then the page's read of the payment.

Each kind is timed on its own, one per order, in the order of a purchase: OrderCreated (the
payments of the order and the sandbox link), the sandbox payment (POST /sandbox/pay/{id}/succeed),
then OrderUpdated (a newer version of the order). `--warmup` purchases go first, untimed (SQL is
compiled and prepared once per process and connection). For each kind: this process's CPU per
message (PostgreSQL runs elsewhere) and the SQL statements per message, as the service counts them
(`db_statements_total`): those of the message's own work, and those of the consumer's inbox record of each
batch.
"""

import argparse
import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal

from contracts import ContactData, OrderCreated, OrderLine, OrderUpdated, PlannedPayment
from faststream.kafka import KafkaBroker
from localstack.message_bench import apply_polls, migrated_database, spending
from payments import service, views
from payments.adapters import sandbox as sandbox_provider
from payments.adapters import repository as repo
from payments.entrypoints import subscribers
from payments.main import MIGRATIONS
from payments.adapters.unit_of_work import SqlUnitOfWork
from servicekit.batches import batch_consumer_of
from servicekit.db import create_engine
from servicekit.messaging import ConsumerGroup
from sqlalchemy.ext.asyncio import AsyncEngine

PRICE = Decimal("1547.36")


def order_of(index: int, accounts: list[uuid.UUID]) -> OrderCreated:
    line = OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python for data analysis",
                     price=PRICE)
    return OrderCreated(
        account_id=accounts[index % len(accounts)], correlation_id=uuid.uuid4(), order_id=uuid.uuid4(),
        order_number=1000 + index, checkout_id=uuid.uuid4(), offer_id=uuid.uuid4(), school_name="Kyiv Code School",
        contact_id=uuid.uuid4(), contact=ContactData(name="Ivan Petrenko", email=f"ivan.{index}@example.com"),
        currency="UAH", lines=[line], discount=Decimal(0), total=PRICE,
        payment_plan=[PlannedPayment(type="regular", amount=PRICE)], provider="sandbox",
    )


def update_of(order: OrderCreated) -> OrderUpdated:
    """The order as it is once paid: a newer version, still active."""
    return OrderUpdated.caused_by(
        order, order_id=order.order_id, order_number=order.order_number, order_version=2, status="active",
        contact_id=order.contact_id, contact=order.contact, currency=order.currency, lines=order.lines,
        discount=order.discount, total=order.total, changed=["status"],
    )


async def pay(engine: AsyncEngine, payment_ids: list[uuid.UUID]) -> None:
    """What POST /sandbox/pay/{payment_id}/succeed does, for each payment."""
    for payment_id in payment_ids:
        event_id = uuid.uuid4().hex
        async with SqlUnitOfWork.begin(engine) as uow:
            await service.confirm_payment(
                uow, provider=sandbox_provider.NAME, provider_event_id=event_id, payment_id=payment_id,
                amount=PRICE, currency="UAH", provider_reference=sandbox_provider.transaction_reference(event_id),
                correlation_id=uuid.uuid4(),
            )
        async with engine.connect() as conn:
            page = await views.sandbox_payment(conn, payment_id, sandbox_provider.NAME)
        if page is None or page["status"] != "paid":
            raise RuntimeError(f"payment {payment_id} was not paid")


async def first_payments(engine: AsyncEngine, orders: list[OrderCreated]) -> list[uuid.UUID]:
    found = []
    async with engine.connect() as conn:
        for order in orders:
            (payment,) = await repo.order_payments(conn, order.order_id)
            found.append(payment.id)
    return found


async def run(args: argparse.Namespace) -> None:
    async with migrated_database("payments", MIGRATIONS, args.postgres_url) as url:
        engine = create_engine(url)
        try:
            broker = KafkaBroker()
            providers = {sandbox_provider.NAME: sandbox_provider.SandboxProvider("http://127.0.0.1:8005")}
            subscribers.register(broker, engine, ConsumerGroup("payments", mode="batch"), providers=providers,
                                 unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork)
            consumer = batch_consumer_of(broker)
            assert consumer is not None
            accounts = [uuid.uuid4() for _ in range(10)]
            orders = [order_of(i, accounts) for i in range(args.warmup + args.orders)]
            warming, timed = orders[:args.warmup], orders[args.warmup:]

            async def created(batch: list[OrderCreated]) -> None:
                await apply_polls(consumer, batch, args.batch)

            async def paid(batch: list[OrderCreated]) -> None:
                await pay(engine, ids[id(batch)])

            async def updated(batch: list[OrderCreated]) -> None:
                await apply_polls(consumer, [update_of(o) for o in batch], args.batch)

            kinds: list[tuple[str, str, Callable[[list[OrderCreated]], Awaitable[None]]]] = [
                ("event OrderCreated", "OrderCreated", created),
                ("POST /sandbox/pay/{payment_id}/succeed", "sandbox payment", paid),
                ("event OrderUpdated", "OrderUpdated", updated),
            ]
            ids: dict[int, list[uuid.UUID]] = {}
            for _, _, step in kinds:
                if step is paid:
                    ids[id(warming)] = await first_payments(engine, warming)
                await step(warming)
            print(f"{args.orders} purchases, batch {args.batch}")
            print(f"{'message':<18} {'msg/s':>7} {'CPU µs/msg':>11} {'statements/msg':>15} {'inbox/msg':>11}")
            for _, label, step in kinds:
                if step is paid:
                    ids[id(timed)] = await first_payments(engine, timed)
                with spending() as spent:
                    await step(timed)
                n = len(timed)
                print(f"{label:<18} {n / spent.wall:>7.0f} {spent.cpu / n * 1e6:>11.0f} {spent.work / n:>15.2f} "
                      f"{spent.inbox / n:>11.2f}")
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
