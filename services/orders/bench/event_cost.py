"""What the hot messages of a purchase cost the orders service: CPU and SQL statements per message.

    python services/orders/bench/event_cost.py [--orders 2000] [--warmup 50] [--batch 1]
        [--profile events.pstats]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Starts an embedded PostgreSQL (or uses the server given) with a fresh orders database and
registers the service's subscribers (entrypoints/subscribers.py) on a batch consumer, as the
service runs them. The events are fed to that consumer's own per-partition step (decoding, the
inbox record, a savepoint per event, the use case), `--batch` records at a time; only the broker's
fetch and the offset commit are left out. Each kind is timed on its own, in a purchase's order:
an OfferOpened per order (a new contact each, ten schools), then a PaymentLinkIssued, a
PaymentSucceeded (paying the order in full) and a NotificationSent per order. `--warmup` purchases
go first, untimed (SQL compiled, statements prepared once per connection). For each kind: this
process's CPU per message (time.process_time; PostgreSQL runs elsewhere) and the statements per
message as the service counts them (servicekit.statements: the work `event <topic>` and the
batch's own `batch <topic>`, the inbox record; BEGIN, savepoints and COMMIT are not statements).
"""

import argparse
import asyncio
import cProfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from contracts import (
    ContactData, Event, NotificationSent, OfferLine, OfferOpened, PaymentLinkIssued, PaymentSucceeded, PlannedPayment,
)
from faststream.kafka import KafkaBroker
from localstack.message_bench import Spent, apply_polls, migrated_database, spending
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.entrypoints import subscribers
from orders.main import MIGRATIONS
from servicekit.batches import batch_consumer_of
from servicekit.db import create_engine
from servicekit.messaging import ConsumerGroup
from sqlalchemy import text

KINDS = ("OfferOpened", "PaymentLinkIssued", "PaymentSucceeded", "NotificationSent")


def opened(index: int, accounts: list[uuid.UUID]) -> OfferOpened:
    """A visit to an offer page, as offers announces it: one line, paid in one payment."""
    total = Decimal("1547.36")
    return OfferOpened(
        account_id=accounts[index % len(accounts)], correlation_id=uuid.uuid4(), checkout_id=uuid.uuid4(),
        offer_id=uuid.uuid4(), offer_version=3, offer_title="Standard", school_name="Kyiv Code School",
        currency="UAH", lines=[OfferLine(product_id=uuid.uuid4(), product_title="Python for data analysis",
                                         price=total)],
        discount=Decimal("0"), total=total, payment_plan=[PlannedPayment(amount=total)], provider="sandbox",
        contact=ContactData(name="Ivan Petrenko", email=f"ivan.{index}@example.com", phone="+380501234567",
                            locale="uk"),
    )


def later(visit: OfferOpened, order_id: uuid.UUID) -> list[Event]:
    """What follows the order's creation: its payment link, its payment, an email sent."""
    payment_id = uuid.uuid4()
    when = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    common = dict(account_id=visit.account_id, correlation_id=visit.correlation_id, order_id=order_id)
    return [
        PaymentLinkIssued(**common, payment_id=payment_id, amount=visit.total, currency="UAH", provider="sandbox",
                          url=f"https://pay.example/p/{payment_id}", due_at=when),
        PaymentSucceeded(**common, payment_id=payment_id, amount=visit.total, currency="UAH", provider="sandbox",
                         paid_at=when),
        NotificationSent(**common, delivery_id=uuid.uuid4(), template="receipt", recipient=visit.contact.email,
                         locale="uk", subject="Your receipt", attempts=1, sent_at=when),
    ]


async def run(args: argparse.Namespace) -> None:
    rows: list[tuple[str, int, Spent]] = []
    async with migrated_database("orders", MIGRATIONS, args.postgres_url) as url:
        engine = create_engine(url)
        try:
            broker = KafkaBroker()
            subscribers.register(broker, engine, ConsumerGroup("orders", mode="batch"),
                                 unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork)
            consumer = batch_consumer_of(broker)
            assert consumer is not None
            accounts = [uuid.uuid4() for _ in range(10)]
            visits = [opened(i, accounts) for i in range(args.warmup + args.orders)]
            warming, timed = visits[:args.warmup], visits[args.warmup:]

            async def followers(batch: list[OfferOpened]) -> list[list[Event]]:
                async with engine.connect() as conn:
                    made = dict((await conn.execute(
                        text("SELECT checkout_id, id FROM orders WHERE checkout_id = ANY(:c)"),
                        {"c": [v.checkout_id for v in batch]})).all())
                return [later(v, made[v.checkout_id]) for v in batch]

            await apply_polls(consumer, list(warming), args.batch)
            for kind in range(3):
                await apply_polls(consumer, [after[kind] for after in await followers(warming)], args.batch)
            profile = cProfile.Profile(time.process_time) if args.profile else None

            async def timed_run(events: list[Event]) -> None:
                with spending(profile) as spent:
                    await apply_polls(consumer, events, args.batch)
                rows.append((events[0].event_type, len(events), spent))

            await timed_run(list(timed))
            after = await followers(timed)
            for kind in range(3):
                await timed_run([events[kind] for events in after])
            async with engine.connect() as conn:
                paid = await conn.scalar(text("SELECT count(*) FROM orders WHERE payment_status = 'paid'"))
                noted = await conn.scalar(text("SELECT count(*) FROM order_history WHERE kind = 'email_sent'"))
            if profile is not None:
                profile.dump_stats(args.profile)
        finally:
            await engine.dispose()
    expected = args.warmup + args.orders
    if paid != expected or noted != expected:
        raise SystemExit(f"{paid} orders paid and {noted} emails noted, {expected} of each expected")
    print(f"{args.orders} purchases (after {args.warmup} to warm up), {args.batch} record(s) a poll")
    for kind, n, spent in rows:
        print(f"  {kind:<18} {n / spent.wall:6.0f} messages/s, CPU {spent.cpu / n * 1000:.2f} ms per message, "
              f"{spent.work / n:.1f} statements per message (+ {spent.inbox / n:.1f} for the inbox record)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000, help="purchases (one message of each kind each)")
    parser.add_argument("--warmup", type=int, default=50, help="purchases applied first, untimed")
    parser.add_argument("--batch", type=int, default=1, help="records per poll of a partition")
    parser.add_argument("--postgres-url", default=None, help="an admin URL of a server to use instead")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="write a cProfile of the timed parts (on the CPU clock) to FILE (.pstats)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
