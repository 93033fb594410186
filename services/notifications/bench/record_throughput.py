"""What the consumers of one purchase's emails cost: CPU and SQL statements per event.

    python services/notifications/bench/record_throughput.py [--orders 500] [--warmup 20] [--batch 1]
        [--profile record.pstats]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Starts an embedded PostgreSQL (or uses the server given) with a fresh notifications database and
registers the service's subscribers (entrypoints/subscribers.py) on a batch consumer, as the
service does in batch mode. The events are fed to that consumer's own per-partition step (decoding,
the inbox record, a savepoint per event, the use case: what follows a poll), `--batch` records at a
time; only the broker's fetch and the offset commit are left out. First the OrderCreated (and
their schools' SchoolUpdated) are applied, untimed, and `--warmup` purchases' emails (templates,
catalogs and SQL are compiled once per process); then, each kind timed on its own, one
PaymentLinkIssued, one PaymentSucceeded and one AccessChanged (access opened) per order: the three
emails of a purchase. For each kind: events/s, this process's CPU per event (PostgreSQL runs
elsewhere) and the SQL statements per event, counted by a `before_cursor_execute` listener (the
savepoints, the inbox record and the transaction's end included). `--batch 1` is a poll carrying
one record, as under the stack's benchmark load; a larger one spreads the inbox record and the commit.
`--profile FILE` writes a cProfile of the timed parts, on the CPU clock.
"""

import argparse
import asyncio
import cProfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from contracts import (
    AccessChanged, ContactData, Event, OrderCreated, OrderLine, PaymentLinkIssued, PaymentSucceeded, SchoolUpdated,
)
from faststream.kafka import KafkaBroker
from localstack.message_bench import apply_polls, migrated_database, spending
from notifications.adapters.unit_of_work import SqlUnitOfWork
from notifications.entrypoints import subscribers
from notifications.main import MIGRATIONS
from servicekit.batches import batch_consumer_of
from servicekit.db import create_engine
from servicekit.messaging import ConsumerGroup
from sqlalchemy import text


def purchase(index: int, accounts: list[uuid.UUID]) -> tuple[OrderCreated, list[Event]]:
    """An order as the shop makes it, and the three events that email its contact."""
    account = accounts[index % len(accounts)]
    line = OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python for data analysis",
                     price="1547.36")
    order = OrderCreated(
        account_id=account, correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=1000 + index,
        school_name="Kyiv Code School", contact_id=uuid.uuid4(),
        contact=ContactData(name="Ivan Petrenko", email=f"ivan.{index}@example.com"), currency="UAH",
        lines=[line], discount="0", total="1547.36", payment_plan=[], provider="sandbox",
    )
    payment_id = uuid.uuid4()
    when = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    link = PaymentLinkIssued.caused_by(
        order, order_id=order.order_id, payment_id=payment_id, amount="1547.36", currency="UAH",
        provider="sandbox", url=f"https://pay.example/p/{payment_id}", due_at=when + timedelta(days=3),
    )
    paid = PaymentSucceeded.caused_by(
        order, order_id=order.order_id, payment_id=payment_id, amount="1547.36", currency="UAH",
        provider="sandbox", paid_at=when,
    )
    opened = AccessChanged.caused_by(
        order, order_id=order.order_id, line_id=line.line_id, product_id=line.product_id,
        product_title=line.product_title, contact_id=order.contact_id, status="open", reason="paid",
        starts_at=when, ends_at=when + timedelta(days=90),
    )
    return order, [link, paid, opened]


async def run(args: argparse.Namespace) -> None:
    async with migrated_database("notifications", MIGRATIONS, args.postgres_url) as url:
        engine = create_engine(url)
        try:
            broker = KafkaBroker()
            subscribers.register(broker, engine, ConsumerGroup("notifications", mode="batch"),
                                 unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork)
            consumer = batch_consumer_of(broker)
            assert consumer is not None
            accounts = [uuid.uuid4() for _ in range(10)]
            schools = [SchoolUpdated(account_id=a, correlation_id=uuid.uuid4(), name="Kyiv Code School",
                                     default_locale="uk", time_zone="Europe/Kyiv") for a in accounts]
            await apply_polls(consumer, schools, 1)
            purchases = [purchase(i, accounts) for i in range(args.warmup + args.orders)]
            await apply_polls(consumer, [order for order, _ in purchases], 100)
            # Templates, catalogs and SQL compiled once per process: not what a purchase costs.
            warming, purchases = purchases[:args.warmup], purchases[args.warmup:]
            for kind in range(3):
                await apply_polls(consumer, [later[kind] for _, later in warming], args.batch)
            profile = cProfile.Profile(time.process_time) if args.profile else None
            rows: list[tuple[str, int, float, float, int]] = []
            for kind in range(3):
                events = [later[kind] for _, later in purchases]
                with spending(profile) as spent:
                    await apply_polls(consumer, events, args.batch)
                rows.append((events[0].event_type, len(events), spent.cpu, spent.wall,
                             round(spent.work + spent.inbox)))
            async with engine.connect() as conn:
                recorded = await conn.scalar(text("SELECT count(*) FROM deliveries"))
            if profile is not None:
                profile.dump_stats(args.profile)
        finally:
            await engine.dispose()
    if recorded != 3 * (args.warmup + args.orders):
        raise SystemExit(f"{recorded} deliveries recorded, {3 * (args.warmup + args.orders)} expected")
    print(f"{args.orders} purchases (after {args.warmup} to warm up), {args.batch} record(s) a poll; "
          f"{recorded} emails recorded")
    per: Callable[[float, int], str] = lambda value, n: f"{value / n * 1000:.2f}"  # noqa: E731
    for kind, n, cpu, wall, sql in rows:
        print(f"  {kind:<18} {n / wall:6.0f} events/s, CPU {per(cpu, n)} ms per event, "
              f"{sql / n:.1f} SQL statements per event")
    cpu, n, sql = sum(r[2] for r in rows), sum(r[1] for r in rows), sum(r[4] for r in rows)
    print(f"  all three          CPU {per(cpu, n)} ms per event, {sql / n:.1f} statements per event; "
          f"{cpu / args.orders * 1000:.2f} ms per purchase")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=500, help="purchases (three emails each)")
    parser.add_argument("--warmup", type=int, default=20, help="purchases applied first, untimed")
    parser.add_argument("--batch", type=int, default=1, help="records per poll of a partition")
    parser.add_argument("--postgres-url", default=None, help="an admin URL of a server to use instead")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="write a cProfile of the timed parts (on the CPU clock) to FILE (.pstats)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
