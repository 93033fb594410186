"""What each hot message of a purchase costs the notifications service: CPU and statements.

    python services/notifications/bench/event_cost.py [--orders 2000] [--warmup 50]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Starts an embedded PostgreSQL (or uses the server given) with a fresh notifications database.
Each message of a purchase goes through the service's own use case (service/) on its unit of
work, one transaction per message as a consumer applies it (the inbox record and the savepoint
are the kit's, not measured here): OrderCreated, PaymentLinkIssued (its email), PaymentSucceeded (the receipt),
AccessChanged (access opened), OrderUpdated; then the sender's bookkeeping of those emails through
the service's own worker (workers/sender.py: its passes, `--batch` at a time, as SEND_CONCURRENCY)
over a mail server that takes every message at once without talking SMTP: each pass's claim (with
the settling of unconfirmed ones), the handovers and the marks as sent with NotificationSent (per
email). Each kind is timed on its own, after `--warmup` orders' worth
untimed (templates, catalogs and prepared statements are made once per process or connection).
Prints, per kind: this process's CPU per message (time.process_time; PostgreSQL runs
elsewhere) and the SQL statements per message (servicekit.statements.tallied).
"""

import argparse
import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import (
    AccessChanged, ContactData, Event, OrderCreated, OrderLine, OrderUpdated, PaymentLinkIssued, PaymentSucceeded,
    SchoolUpdated,
)
from localstack.message_bench import migrated_database, spending
from notifications import service
from notifications.adapters.smtp import NotHandedOver
from notifications.adapters.unit_of_work import SqlUnitOfWork
from notifications.domain.delivery import Outgoing, RetryPolicy
from notifications.main import MIGRATIONS
from notifications.workers.sender import EmailSender
from servicekit.db import create_engine
from servicekit.statements import tallied
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)


def purchase(index: int, accounts: list[uuid.UUID]) -> list[Event]:
    """An order as the shop makes it, and the events of its purchase, in the order they come."""
    account = accounts[index % len(accounts)]
    line = OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python for data analysis",
                     price="1547.36")
    contact = ContactData(name="Ivan Petrenko", email=f"ivan.{index}@example.com")
    order = OrderCreated(
        account_id=account, correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=1000 + index,
        school_name="Kyiv Code School", contact_id=uuid.uuid4(), contact=contact, currency="UAH",
        lines=[line], discount="0", total="1547.36", payment_plan=[], provider="sandbox",
    )
    payment_id = uuid.uuid4()
    link = PaymentLinkIssued.caused_by(
        order, order_id=order.order_id, payment_id=payment_id, amount="1547.36", currency="UAH",
        provider="sandbox", url=f"https://pay.example/p/{payment_id}", due_at=WHEN + timedelta(days=3),
    )
    paid = PaymentSucceeded.caused_by(
        order, order_id=order.order_id, payment_id=payment_id, amount="1547.36", currency="UAH",
        provider="sandbox", paid_at=WHEN,
    )
    opened = AccessChanged.caused_by(
        order, order_id=order.order_id, line_id=line.line_id, product_id=line.product_id,
        product_title=line.product_title, contact_id=order.contact_id, status="open", reason="paid",
        starts_at=WHEN, ends_at=WHEN + timedelta(days=90),
    )
    updated = OrderUpdated.caused_by(
        order, order_id=order.order_id, order_number=order.order_number, order_version=1, status="active",
        contact_id=order.contact_id, contact=contact, currency="UAH", lines=[line], discount="0",
        total="1547.36", changed=["payments"],
    )
    return [order, link, paid, opened, updated]


USE_CASES: dict[str, Callable[[Any, Any], Awaitable[None]]] = {
    "OrderCreated": service.on_order_created,
    "PaymentLinkIssued": service.on_payment_link_issued,
    "PaymentSucceeded": service.on_payment_succeeded,
    "AccessChanged": service.on_access_changed,
    "OrderUpdated": service.on_order_updated,
}


async def apply(engine: AsyncEngine, events: list[Event]) -> None:
    """Each event in a transaction of its own, through its use case."""
    for e in events:
        async with engine.begin() as conn:
            await USE_CASES[e.event_type](SqlUnitOfWork(conn), e)


class TakesEverything:
    """Stands for the mail server: each message is handed over (the worker's handover) and taken."""

    timeout = 10.0
    deadline = 30.0
    drops_repeats = False

    async def send(self, email: Outgoing, handing_over: Callable[[Callable[[], None]], Awaitable[bool]]) -> None:
        if not await handing_over(lambda: None):
            raise NotHandedOver(email.id)

    async def close(self) -> None:
        pass


async def send(engine: AsyncEngine, batch: int) -> int:
    """The sender worker's passes until nothing is due, `batch` at a time; how many emails."""
    policy = RetryPolicy(first=5, cap=900, max_attempts=30)
    sender = EmailSender(engine, TakesEverything(), policy=policy,  # type: ignore[arg-type]
                         batch_size=batch, lease=LEASE.total_seconds())
    sent = 0
    try:
        while True:
            with tallied(f"worker {sender.name}"):  # as the worker's loop counts each pass
                claimed = await sender.send_due()
            if not claimed:
                return sent
            sent += claimed
    finally:
        await sender.stop()


async def run(args: argparse.Namespace) -> list[tuple[str, int, float, int]]:
    async with migrated_database("notifications", MIGRATIONS, args.postgres_url) as url:
        engine = create_engine(url)
        rows: list[tuple[str, int, float, int]] = []
        try:
            accounts = [uuid.uuid4() for _ in range(10)]
            async with engine.begin() as conn:
                for a in accounts:
                    await service.on_school_updated(SqlUnitOfWork(conn), SchoolUpdated(
                        account_id=a, correlation_id=uuid.uuid4(), name="Kyiv Code School",
                        default_locale="uk", time_zone="Europe/Kyiv"))
            warming = [purchase(i, accounts) for i in range(args.warmup)]
            purchases = [purchase(args.warmup + i, accounts) for i in range(args.orders)]
            for kind in range(5):
                await apply(engine, [p[kind] for p in warming])
            await send(engine, args.batch)
            for kind in range(5):
                events = [p[kind] for p in purchases]
                with spending() as spent:
                    await apply(engine, events)
                rows.append((events[0].event_type, len(events), spent.cpu, round(spent.work)))
            with spending() as spent:
                emails = await send(engine, args.batch)
            rows.append((f"sender (batch {args.batch})", emails, spent.cpu, round(spent.work)))
            async with engine.connect() as conn:
                left = await conn.scalar(text("SELECT count(*) FROM deliveries WHERE status <> 'sent'"))
                sent = await conn.scalar(text("SELECT count(*) FROM deliveries WHERE status = 'sent'"))
        finally:
            await engine.dispose()
    expected = 3 * (args.warmup + args.orders)
    if left or sent != expected:
        raise SystemExit(f"{sent} deliveries sent and {left} not, {expected} expected sent")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000, help="purchases (each message once per purchase)")
    parser.add_argument("--warmup", type=int, default=50, help="purchases applied first, untimed")
    parser.add_argument("--batch", type=int, default=8, help="deliveries the sender claims at a time")
    parser.add_argument("--postgres-url", default=None, help="an admin URL of a server to use instead")
    args = parser.parse_args()
    rows = asyncio.run(run(args))
    print(f"{args.orders} purchases (after {args.warmup} to warm up)")
    print("| message | CPU µs per message | statements per message |")
    print("|---|---|---|")
    for kind, n, cpu, sql in rows:
        print(f"| {kind} | {cpu / n * 1e6:.0f} | {sql / n:.2f} |")


if __name__ == "__main__":
    main()
