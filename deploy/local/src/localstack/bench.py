"""Benchmark of whole purchases through the running local stack (`make run` first).

    python -m localstack.bench [--rate 50] [--duration 20] [--state .local/stack.json] [--profile orders]

Visitors open the demo offer at a fixed rate (open loop), wait for the payment link, pay on
the sandbox page, and the receipt is sent. Hop times come from one clock: the bench's own
requests, the moment each event was published to the broker (its record's timestamp, which
the publishing relay stamps), and the receipt's `sent_at` in the delivery log. The machine's
own limits are measured in the same run: PostgreSQL commits per second on the stack's server,
the broker's produce-to-consume round trip, and a loopback TCP round trip between two sockets
of this process.

Where the processor goes: every process of the stack (the services, the gateway, PostgreSQL
with all its backends, the broker, the mailbox) and the bench itself are read from /proc at
the start and the end of the measured window (see cpu.py), and once over an idle stretch
before it, and printed as CPU seconds and milliseconds per completed purchase. With
`--profile <service>` the bench also switches that service's profiler on for the window (the
stack must have been started with STACK_PROFILE naming it; see profiled.py) and prints the
report it writes into .local/profiles/.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from servicekit.pooled_http import PooledTransport

from . import cpu, profiled, statement_counts
from .broker import create_topics

EVENTS = ("OrderCreated", "PaymentLinkIssued", "PaymentSucceeded")


@dataclass
class Purchase:
    email: str
    opened_at: float = 0.0
    checkout_id: str = ""
    order_id: str = ""
    link_ready_at: float | None = None
    webhook_at: float | None = None
    receipt_at: float | None = None
    error: str | None = None
    seen: dict[str, float] = field(default_factory=dict)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:7.1f} ms   p99 {pct(values, 0.99) * 1000:7.1f} ms   (n={len(values)})"


class EventClock:
    """When each of the stack's events was published: its record's timestamp, which the relay's
    producer stamps on the wall clock (ms) as it sends, the clock the bench times the opens on.

    Not when our own consumer happens to read it: that lags under load, and a consumer polling
    often enough to time arrivals was itself a load on the broker and the bench (about 100 ms of
    CPU a second between them), so this one waits for records as long as the client's default."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(*EVENTS, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4()}",
                                          auto_offset_reset="latest")
        self.by_order: dict[str, dict[str, float]] = {}
        self.order_of_checkout: dict[str, str] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        while not self.consumer.assignment():
            await asyncio.sleep(0.1)
        await self.consumer.seek_to_end()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for record in self.consumer:
            now = record.timestamp / 1000
            event = json.loads(record.value)
            order_id = event.get("order_id")
            if event.get("checkout_id") and order_id:
                self.order_of_checkout[event["checkout_id"]] = order_id
            if order_id:
                self.by_order.setdefault(order_id, {}).setdefault(record.topic, now)

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
        await self.consumer.stop()


async def postgres_commits_per_second(admin_url: str, clients: int = 4, seconds: float = 3.0) -> float:
    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    setup = await asyncpg.connect(dsn)
    await setup.execute("CREATE TABLE IF NOT EXISTS bench_commits (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())")
    await setup.close()
    count = 0
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        nonlocal count
        conn = await asyncpg.connect(dsn)
        while time.monotonic() < stop_at:
            await conn.execute("INSERT INTO bench_commits DEFAULT VALUES")
            count += 1
        await conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    cleanup = await asyncpg.connect(dsn)
    await cleanup.execute("DROP TABLE bench_commits")
    await cleanup.close()
    return count / seconds


async def broker_round_trip(bootstrap: str, messages: int = 200) -> list[float]:
    topic = "bench.roundtrip"
    await create_topics(bootstrap, [topic], partitions=1)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4()}",
                                auto_offset_reset="latest", fetch_max_wait_ms=5)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await consumer.start()
    await producer.start()
    while not consumer.assignment():
        await asyncio.sleep(0.1)
    await consumer.seek_to_end()
    times = []
    try:
        for _ in range(messages):
            sent = time.perf_counter()
            await producer.send_and_wait(topic, b"x")
            await consumer.getone()
            times.append(time.perf_counter() - sent)
    finally:
        await producer.stop()
        await consumer.stop()
    return times


def loopback_round_trip(round_trips: int = 2000) -> tuple[list[float], float]:
    """One byte there and back between two TCP sockets on 127.0.0.1, the echoing end in a thread:
    wall time of each round trip, and this process's CPU per round trip (both ends are ours)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    for end in (client, server):
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def echo() -> None:
        while data := server.recv(1):
            server.sendall(data)

    echoing = threading.Thread(target=echo, daemon=True)
    echoing.start()
    times = []
    cpu_started = time.process_time()
    try:
        for _ in range(round_trips):
            sent = time.perf_counter()
            client.sendall(b"x")
            client.recv(1)
            times.append(time.perf_counter() - sent)
    finally:
        cpu_used = time.process_time() - cpu_started
        client.close()
        echoing.join(5)
        server.close()
    return times, cpu_used / round_trips


class CpuWindow:
    """The stack's processes read from /proc at the start and the end of a stretch of time."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.before: dict[str, int | None] = {}
        self.started = 0.0
        self.seconds = 0.0

    def start(self) -> None:
        self.before, self.started = cpu.sample(self.pids), time.monotonic()

    def stop(self) -> dict[str, float | None]:
        after = cpu.sample(self.pids)
        self.seconds = time.monotonic() - self.started
        return cpu.seconds_used(self.before, after)


def profiled_pid(state: dict[str, Any], processes: Path, name: str) -> int:
    """The pid of a service started under the profiler switch, or why it cannot be profiled."""
    if name not in state.get("profilable", []):
        raise SystemExit(f"{name} was not started under the profiler: restart the stack with "
                         f"STACK_PROFILE={name} (or all) make run")
    pid = cpu.stack_pids(processes).get(name)
    try:
        command = (cpu.PROC / str(pid) / "cmdline").read_bytes() if pid else b""
    except OSError:
        command = b""
    # Never signal a process that does not listen for it: SIGUSR1 would end it.
    if profiled.MARKER.encode() not in command:
        raise SystemExit(f"{name} (pid {pid}) is not running under the profiler switch")
    return pid  # type: ignore[return-value]


async def wait_for_report(directory: Path, name: str, since: float, timeout: float = 60) -> Path | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reports = [p for p in directory.glob(f"{name}-*.txt") if p.stat().st_mtime >= since]
        if reports:
            return max(reports, key=lambda p: p.stat().st_mtime)
        await asyncio.sleep(0.2)
    return None


async def purchase(client: httpx.AsyncClient, state: dict[str, Any], p: Purchase) -> None:
    try:
        p.opened_at = time.time()
        opened = await client.post(f"/public/v1/offers/{state['offer_id']}/checkouts",
                                   json={"name": "Bench Visitor", "email": p.email})
        opened.raise_for_status()
        p.checkout_id = opened.json()["checkout_id"]
        deadline = time.monotonic() + 30
        while True:
            # As the offer page does: the request waits server-side until the link is ready.
            status = (await client.get(f"/public/v1/checkouts/{p.checkout_id}", params={"wait": 8})).json()
            if status["status"] == "ready":
                p.link_ready_at = time.time()
                break
            if time.monotonic() > deadline:
                raise TimeoutError("no payment link after 30 s")
        p.webhook_at = time.time()
        form = {"event_id": uuid.uuid4().hex, "amount": state["offer_total"], "currency": state["offer_currency"]}
        (await client.post(f"{status['payment_url']}/succeed", data=form)).raise_for_status()
    except Exception as exc:  # reported, not fatal: the bench measures what succeeded
        p.error = repr(exc)


async def receipts(client: httpx.AsyncClient, token: str, clock: EventClock, purchases: list[Purchase]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for p in purchases:
        p.order_id = clock.order_of_checkout.get(p.checkout_id, "")
        if not p.order_id:
            continue
        log = (await client.get(f"/api/v1/orders/{p.order_id}/notifications", headers=headers)).json()
        for delivery in log.get("items", []):
            if delivery["template"] == "receipt" and delivery.get("sent_at"):
                p.receipt_at = datetime.fromisoformat(delivery["sent_at"]).timestamp()
        p.seen = clock.by_order.get(p.order_id, {})


async def run(args: argparse.Namespace) -> dict[str, Any]:
    state = json.loads(Path(args.state).read_text())
    processes = Path(args.state).parent / "processes.json"
    profile_pid = profiled_pid(state, processes, args.profile) if args.profile else None
    print(f"machine limits on {state['postgres_url'].split('@')[-1]} and {state['kafka']} ...", flush=True)
    commits = await postgres_commits_per_second(state["postgres_url"])
    rtt = await broker_round_trip(state["kafka"])
    loopback, loopback_cpu = await asyncio.to_thread(loopback_round_trip)
    clock = EventClock(state["kafka"])
    await clock.start()
    window = CpuWindow(cpu.stack_pids(processes))
    idle: dict[str, float | None] = {}
    if args.idle > 0:
        print(f"{args.idle:g} s idle ...", flush=True)
        window.start()
        await asyncio.sleep(args.idle)
        idle = window.stop()
    idle_seconds = window.seconds
    # The gateway's own pooled transport: httpx's default pool scans every connection it keeps on
    # each request, which made the load generator's CPU a purchase grow with the rate it drives.
    transport = PooledTransport(max_connections=int(args.rate * 4), max_idle=int(args.rate * 4))
    total = int(args.rate * args.duration)
    purchases = [Purchase(email=f"bench-{uuid.uuid4().hex[:12]}@example.com") for _ in range(total)]
    print(f"{total} purchases at {args.rate}/s for {args.duration}s ...", flush=True)
    async with httpx.AsyncClient(base_url=state["gateway"], timeout=30, transport=transport) as client:
        statements_before = await statement_counts.sample(state.get("replicas", state["services"]))
        window.start()
        if profile_pid:
            os.kill(profile_pid, profiled.START)
        try:
            started = time.monotonic()
            tasks = []
            for n, p in enumerate(purchases):
                delay = started + n / args.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(purchase(client, state, p)))
            await asyncio.gather(*tasks)
            await asyncio.sleep(args.settle)
            used = window.stop()
            statements_after = await statement_counts.sample(state.get("replicas", state["services"]))
        finally:
            # Also when the run is cut short: a profile left on would run into the next one.
            if profile_pid:
                profile_asked = time.time() - 1  # the report's mtime, with a second for coarse clocks
                os.kill(profile_pid, profiled.STOP)
        await receipts(client, state["token"], clock, purchases)
    await clock.stop()

    done = [p for p in purchases if p.receipt_at and not p.error]
    first = min(p.opened_at for p in purchases)
    last = max((p.receipt_at for p in done), default=first)

    def hop(a: str, b: str) -> list[float]:
        values = []
        for p in done:
            t = {"open": p.opened_at, "link": p.link_ready_at, "webhook": p.webhook_at, "receipt": p.receipt_at,
                 **p.seen}
            if t.get(a) and t.get(b):
                values.append(t[b] - t[a])
        return values

    hops = {
        "open -> order (OrderCreated)": hop("open", "OrderCreated"),
        "order -> link (PaymentLinkIssued)": hop("OrderCreated", "PaymentLinkIssued"),
        "open -> link ready for the visitor": hop("open", "link"),
        "webhook -> paid (PaymentSucceeded)": hop("webhook", "PaymentSucceeded"),
        "paid -> receipt sent": hop("PaymentSucceeded", "receipt"),
        "whole purchase (open -> receipt)": hop("open", "receipt"),
    }
    print(f"\nmachine: PostgreSQL {commits:,.0f} commits/s (4 clients); broker round trip {ms(rtt)}")
    print(f"purchases: {len(done)}/{total} completed, {len(done) / max(last - first, 1e-9):.1f} completed/s"
          f" at {args.rate} opens/s; errors: {sum(1 for p in purchases if p.error)}")
    for name, values in hops.items():
        print(f"  {name:38s} {ms(values)}")
    print(f"loopback TCP round trip (two sockets of this process) p50 {pct(loopback, 0.5) * 1e6:.0f} µs   "
          f"p99 {pct(loopback, 0.99) * 1e6:.0f} µs, {loopback_cpu * 1e6:.0f} µs of CPU each (n={len(loopback)})")
    print(f"\nCPU in the measured window ({window.seconds:.1f} s from the first open to the end of the settle, "
          f"{len(done)} purchases completed; idle column: {idle_seconds:.1f} s before the opens):")
    marks = {args.profile: " (profiled)"} if args.profile else {}
    print(*cpu.table(used, len(done), window.seconds, idle, idle_seconds, marks), sep="\n")
    print("\nSQL statements per completed purchase (BEGIN and COMMIT not counted), by service and work:")
    print(*statement_counts.table(statements_before, statements_after, len(done)), sep="\n")
    report = None
    if profile_pid:
        report = await wait_for_report(Path(state["profiles"]), args.profile, profile_asked)
        if report is None:
            print(f"\nno profile of {args.profile} appeared in {state['profiles']}")
        else:
            print(f"\nprofile of {args.profile}: {report} (and {report.with_suffix('.pstats').name})\n")
            print(report.read_text())
    errors = [p.error for p in purchases if p.error][:3]
    if errors:
        print("first errors:", *errors, sep="\n  ")
    return {
        "rate": args.rate, "duration": args.duration, "completed": len(done), "total": total,
        "completed_per_second": len(done) / max(last - first, 1e-9),
        "postgres_commits_per_second": commits,
        "broker_round_trip_ms": {"p50": pct(rtt, 0.5) * 1000, "p99": pct(rtt, 0.99) * 1000},
        "loopback_round_trip_ms": {"p50": pct(loopback, 0.5) * 1000, "p99": pct(loopback, 0.99) * 1000,
                                   "cpu_us": loopback_cpu * 1e6},
        "cpu_seconds": used, "cpu_window_seconds": window.seconds,
        "cpu_ms_per_purchase": {name: cpu.ms_per_purchase(s, len(done)) for name, s in used.items()},
        "idle_cpu_seconds": idle, "idle_seconds": idle_seconds,
        "statements_per_purchase": statement_counts.per_purchase(statements_before, statements_after, len(done)),
        "profile": str(report) if report else None,
        "hops_ms": {k: {"p50": pct(v, 0.5) * 1000, "p99": pct(v, 0.99) * 1000, "n": len(v),
                        "mean": statistics.fmean(v) * 1000 if v else None} for k, v in hops.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=50, help="offer opens per second")
    parser.add_argument("--duration", type=float, default=20, help="seconds of opens")
    parser.add_argument("--settle", type=float, default=5, help="seconds to wait for the last receipts")
    parser.add_argument("--state", default=".local/stack.json", help="written by `make run`")
    parser.add_argument("--out", default=None, help="also write the figures as JSON here")
    parser.add_argument("--idle", type=float, default=5, help="seconds of idle CPU sampled before the opens (0: none)")
    parser.add_argument("--profile", default=None, metavar="SERVICE",
                        help="profile this service (or the gateway) over the window; needs STACK_PROFILE at `make run`")
    args = parser.parse_args()
    if not Path(args.state).exists():
        raise SystemExit(f"{args.state} not found: start the stack with `make run` first")
    results = asyncio.run(run(args))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
