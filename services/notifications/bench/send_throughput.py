"""How fast one email sender hands recorded emails to a local mail server, and what CPU it costs.

    python services/notifications/bench/send_throughput.py [--emails 1000] [--concurrency 8]
        [--idle-timeout 30] [--starttls] [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--profile send.pstats]

Starts an embedded PostgreSQL (or uses the server given) with a fresh notifications database, and
an aiosmtpd server in a process of its own (so that its work is not counted as the sender's) that
accepts every message and counts the connections opened (their first EHLO). Records `--emails` emails as
the consumers do, then starts one sender in this process and times it until every delivery is
sent: emails per second (wall clock) and the CPU seconds this process spent (the sender: claiming,
composing, SMTP, marking; PostgreSQL and the mail server run elsewhere), and the SQL statements
the sender sent meanwhile (servicekit's count, `db_statements_total`, which also counts those sent
straight to asyncpg; the script's own polls for the end go over an engine of their own and are not
counted). `--idle-timeout 0` sends
each email on its own connection, as the sender did before sessions were kept open. `--starttls`
makes the server require STARTTLS (a self-signed certificate the sender trusts by SMTP_CA_FILE), as
a real relay does. `--profile FILE` writes a cProfile of the timed window, on the CPU clock (the
profiler's own cost included: read its shares, not its seconds).
"""

import argparse
import asyncio
import cProfile
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres, create_databases, database_url
from notifications.main import MIGRATIONS
from notifications.settings import Settings
from notifications.workers.sender import email_sender
from localstack.message_bench import statements_by_work
from servicekit.db import create_engine
from servicekit.migrations import upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration"))
from conftest import record_link_email  # noqa: E402  (the tests' way of recording an email)

# The mail server: accepts everything, keeps nothing, and says how many connections it saw when stopped.
MAIL_SERVER = """
import signal, ssl, sys, threading
from aiosmtpd.controller import Controller

class Counting:
    sessions = 0
    messages = 0
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if session.ssl is None:  # not the second EHLO of a connection, after its STARTTLS
            Counting.sessions += 1
        session.host_name = hostname
        return responses
    async def handle_DATA(self, server, session, envelope):
        Counting.messages += 1
        return "250 OK"

options = {}
if len(sys.argv) > 2:  # a certificate and its key: STARTTLS required
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    options = {"tls_context": context, "require_starttls": True}
controller = Controller(Counting(), hostname="127.0.0.1", port=int(sys.argv[1]), **options)
controller.start()
print("ready", flush=True)
stopped = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopped.set())
stopped.wait()
controller.stop()
print(Counting.sessions, Counting.messages, flush=True)
"""


async def record(engine, count: int) -> list[uuid.UUID]:
    orders = [await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com") for _ in range(count)]
    async with engine.connect() as conn:
        return list(await conn.scalars(text("SELECT id FROM deliveries WHERE order_id = ANY(:o)"), {"o": orders}))


async def all_sent(engine, ids: list[uuid.UUID]) -> bool:
    async with engine.connect() as conn:
        left = await conn.scalar(
            text("SELECT count(*) FROM deliveries WHERE id = ANY(:ids) AND status <> 'sent'"), {"ids": ids}
        )
    return left == 0


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="send-throughput-"))
    pg = None
    smtp_port = free_port()
    tls: list[str] = []
    over: dict[str, Any] = {}
    if args.starttls:
        cert, key = workdir / "cert.pem", workdir / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )
        tls = [str(cert), str(key)]
        over = {"smtp_tls": "starttls", "smtp_ca_file": str(cert)}
    if args.idle_timeout is not None:
        over["smtp_idle_timeout"] = args.idle_timeout
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MAIL_SERVER, str(smtp_port), *tls, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        assert await asyncio.wait_for(server.stdout.readline(), 30) == b"ready\n"
        admin = args.postgres_url
        if not admin:
            pg = EmbeddedPostgres(workdir / "pgdata", free_port())
            pg.start()
            admin = pg.url()
        name = f"notifications_send_{uuid.uuid4().hex[:8]}"
        await create_databases(admin, [name])
        url = database_url(admin, name)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        engine = create_engine(url)  # the service's engine, which counts its statements
        watcher = create_async_engine(url)  # its polls for the end are not counted with the sender's statements
        try:
            ids = await record(engine, args.emails)
            sender = email_sender(engine, Settings(
                database_url=url, smtp_port=smtp_port, send_concurrency=args.concurrency, **over,
            ))
            before = sum(statements_by_work().values())
            profile = cProfile.Profile(time.process_time) if args.profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profile is not None:
                profile.enable()
            await sender.start()
            try:
                while not await all_sent(watcher, ids):
                    await asyncio.sleep(0.02)
            finally:
                await sender.stop()
            if profile is not None:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            sql = round(sum(statements_by_work().values()) - before)
            if profile is not None:
                profile.dump_stats(args.profile)
        finally:
            await engine.dispose()
            await watcher.dispose()
    finally:
        if server.returncode is None:
            server.terminate()
        out, _ = await server.communicate()
        if pg is not None:
            pg.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    sessions, messages = (int(n) for n in out.split())
    print(f"{args.emails} emails, {args.concurrency} at once, idle timeout {args.idle_timeout}"
          f"{', STARTTLS' if args.starttls else ''}: "
          f"{wall:.2f} s, {args.emails / wall:.0f} emails/s")
    print(f"CPU of the sender's process {cpu:.2f} s ({cpu / args.emails * 1000:.2f} ms per email); "
          f"the server saw {sessions} SMTP connections and {messages} messages")
    print(f"the sender's SQL statements: {sql} ({sql / args.emails:.2f} per email)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8, help="SEND_CONCURRENCY of the sender")
    parser.add_argument("--idle-timeout", type=float, default=None,
                        help="SMTP_IDLE_TIMEOUT of the sender (0: a connection per email); its default if left out")
    parser.add_argument("--starttls", action="store_true", help="the server requires STARTTLS")
    parser.add_argument("--postgres-url", default=None, help="an admin URL of a server to use instead")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="write a cProfile of the sending (on the CPU clock) to FILE (.pstats)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
