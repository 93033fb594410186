"""Kills a busy email sender at random moments and counts what reached the mailbox.

    python services/notifications/bench/kill_sender.py [--rounds 20] [--emails 12] [--window 0.3]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Starts an embedded PostgreSQL (or uses the server given) with a fresh notifications database,
and the local stack's mailbox. Each round records `--emails` emails, starts a sender in its own
process (the one the crash tests kill), kills it with SIGKILL at a random moment within
`--window` seconds of its start of work, then starts another sender and waits until every
delivery is decided. The mailbox's messages are counted per Message-ID: a count of 2 is a
duplicate, 0 a lost email. Also reported: who sent each email (the killed sender before it
died, the next one, or nobody a second time because it was handed over when the first died:
those are the ones a blind re-send would have doubled), and how long the next sender took.
"""

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from localstack.mailbox import Mailbox
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres, create_databases, database_url
from notifications.domain.delivery import UNCONFIRMED
from notifications.workers.sender import email_sender
from notifications.main import MIGRATIONS
from notifications.settings import Settings
from servicekit.migrations import upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

HERE = Path(__file__).resolve().parent
SENDER = HERE.parent / "tests" / "sender_process.py"
sys.path.insert(0, str(HERE.parent / "tests"))
from conftest import record_link_email  # noqa: E402  (the tests' way of recording an email)


async def one_round(url: str, engine, mailbox: Mailbox, args: argparse.Namespace) -> dict[str, float]:
    orders = [await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com") for _ in range(args.emails)]
    async with engine.connect() as conn:
        ids = list((await conn.scalars(text("SELECT id FROM deliveries WHERE order_id = ANY(:o)"), {"o": orders})))
    env = {
        **os.environ, "NOTIFICATIONS_DATABASE_URL": url, "NOTIFICATIONS_SMTP_PORT": str(mailbox.smtp_port),
        "NOTIFICATIONS_SMTP_TIMEOUT": str(args.timeout), "NOTIFICATIONS_SEND_LEASE": str(args.lease),
        "NOTIFICATIONS_SEND_CONCURRENCY": str(args.emails),
    }
    process = await asyncio.create_subprocess_exec(sys.executable, str(SENDER), env=env, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    await process.stdout.readline()
    await asyncio.sleep(random.uniform(0, args.window))
    process.kill()
    await process.wait()
    killed = time.monotonic()
    sender = email_sender(engine, Settings(
        database_url=url, smtp_port=mailbox.smtp_port, smtp_timeout=args.timeout, send_lease=args.lease,
    ))
    await sender.start()
    try:
        while True:
            async with engine.connect() as conn:
                rows = list(await conn.execute(
                    text("SELECT id, status, attempts, last_error FROM deliveries WHERE id = ANY(:ids)"),
                    {"ids": ids},
                ))
            if all(r.status != "pending" for r in rows):
                break
            await asyncio.sleep(0.05)
    finally:
        await sender.stop()
    took = time.monotonic() - killed
    found = Counter(v for m in mailbox.messages() for k, v in m["headers"] if k.lower() == "message-id")
    counts = [found[f"<{i}@school.local>"] for i in ids]
    return {
        "emails": len(ids), "once": counts.count(1), "duplicates": sum(c - 1 for c in counts if c > 1),
        "lost": counts.count(0), "unconfirmed": sum(r.last_error == UNCONFIRMED for r in rows),
        "by_the_killed": sum(r.attempts == 1 and r.last_error is None for r in rows),
        "by_the_next": sum(r.attempts > 1 for r in rows),
        "recovered_in": took,
    }


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kill-sender-"))
    pg = None
    try:
        admin = args.postgres_url
        if not admin:
            pg = EmbeddedPostgres(workdir / "pgdata", free_port())
            pg.start()
            admin = pg.url()
        name = f"notifications_kill_{uuid.uuid4().hex[:8]}"
        await create_databases(admin, [name])
        url = database_url(admin, name)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        engine = create_async_engine(url)
        mailbox = Mailbox(workdir / "mail", smtp_port=free_port(), http_port=free_port())
        mailbox.start()
        try:
            results = [await one_round(url, engine, mailbox, args) for _ in range(args.rounds)]
        finally:
            mailbox.stop()
            await engine.dispose()
    finally:
        if pg is not None:
            pg.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    keys = ("emails", "once", "duplicates", "lost", "unconfirmed", "by_the_killed", "by_the_next")
    total = {k: sum(r[k] for r in results) for k in keys}
    recovered = [r["recovered_in"] for r in results]
    print(f"{args.rounds} kills of a sender busy with {args.emails} emails each (random moment within "
          f"{args.window * 1000:.0f} ms of its start; lease {args.lease:g} s, SMTP timeout {args.timeout:g} s)")
    print(f"emails {total['emails']}: exactly once {total['once']}, duplicates {total['duplicates']}, "
          f"lost {total['lost']}; decided as handed over without an answer {total['unconfirmed']}")
    print(f"sent and marked by the killed sender {total['by_the_killed']}, sent by the next one "
          f"{total['by_the_next']}, counted as sent without a second copy {total['unconfirmed']}")
    print(f"the next sender saw them through in: median {statistics.median(recovered):.1f} s, "
          f"max {max(recovered):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--emails", type=int, default=12)
    parser.add_argument("--window", type=float, default=0.3, help="seconds after the sender's start to kill within")
    parser.add_argument("--lease", type=float, default=4.0)
    parser.add_argument("--timeout", type=float, default=3.0, help="SMTP timeout of the senders")
    parser.add_argument("--postgres-url", default=None, help="an admin URL of a server to use instead")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
