"""STACK_REPLICAS=orders=2: two processes of orders on one database and one consumer group; the
broker splits the partitions between them, each applies its share of the events, and one of them
publishes the outbox."""

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from localstack import statement_counts
from localstack.bench import Purchase, purchase
from localstack.launch import LaunchedStack, launched_stack, stack_environment
from prometheus_client.parser import text_string_to_metric_families
from servicekit.relay import RELAY_LOCK_ID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[LaunchedStack]:
    data = tmp_path_factory.mktemp("replicas")
    with launched_stack(data, stack_environment(data, STACK_REPLICAS="orders=2")) as launched:
        yield launched


def metric(url: str, name: str, **labels: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).raise_for_status().text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


async def group_members(bootstrap: str, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
        # A group: error code, name, state, protocol type, protocol, members.
        return sum(len(g[5]) for response in described for g in response.groups if g[1] == group)
    finally:
        await admin.close()


async def relay_leaders(admin_url: str) -> int:
    """Sessions holding the outbox relay's advisory lock on the orders database."""
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = 'orders' "
            "AND ((l.classid::bigint << 32) | l.objid::bigint) = $1", RELAY_LOCK_ID)
    finally:
        await conn.close()


async def buy(state: dict, count: int) -> list[Purchase]:
    bought = [Purchase(email=f"replica-{time.monotonic_ns()}-{n}@example.com") for n in range(count)]
    async with httpx.AsyncClient(base_url=state["gateway"], timeout=30) as client:
        await asyncio.gather(*(purchase(client, state, p) for p in bought))
    return bought


def test_two_replicas_of_orders_share_the_group_and_the_events_and_one_publishes(stack) -> None:
    processes = json.loads((stack.data / "processes.json").read_text())
    assert processes["orders"]["pid"] != processes["orders-2"]["pid"]
    assert "orders-3" not in processes and "notifications-2" not in processes
    first, second = stack.state["replicas"]["orders"]
    assert first == stack.state["services"]["orders"] and second != first
    assert int(second.rsplit(":", 1)[1]) == int(stack.state["gateway"].rsplit(":", 1)[1]) + 6
    assert stack.state["replicas"]["payments"] == [stack.state["services"]["payments"]]
    for url in (first, second):
        assert httpx.get(f"{url}/ready", timeout=5).status_code == 200
    assert asyncio.run(group_members(stack.state["kafka"], "orders")) == 2

    # Purchases until both have applied events of their own partitions (each key lands on one).
    deadline = time.monotonic() + 90
    while True:
        bought = asyncio.run(buy(stack.state, 5))
        assert not [p.error for p in bought if p.error]
        applied = [metric(url, "consumer_messages_total", service="orders", outcome="applied")
                   for url in (first, second)]
        if all(applied) or time.monotonic() > deadline:
            break
    assert all(n > 0 for n in applied), applied

    # One relay holds the lock and publishes; the other waits for it.
    assert asyncio.run(relay_leaders(stack.state["postgres_url"])) == 1
    published = [metric(url, "outbox_published_total", service="orders") for url in (first, second)]
    assert sorted(n > 0 for n in published) == [False, True], published

    # The bench's statement counts are the sum over the replicas, each serving its own /metrics.
    each = [asyncio.run(statement_counts.sample({"orders": url})) for url in (first, second)]
    both = asyncio.run(statement_counts.sample({"orders": [first, second]}))
    assert sum(each[0].values()) > 0 and sum(each[1].values()) > 0
    assert set(both) == set(each[0]) | set(each[1])
    for work, count in both.items():  # read after: counters only grow, by a little meanwhile
        assert each[0].get(work, 0) + each[1].get(work, 0) <= count < each[0].get(work, 0) + each[1].get(work, 0) + 500


def test_replicas_the_stack_cannot_run_are_refused_before_anything_starts(tmp_path) -> None:
    env = {**stack_environment(tmp_path / "data"), "STACK_REPLICAS": "orders=2,gateway=2"}
    done = subprocess.run([sys.executable, "-m", "localstack", "run"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert ("cannot start: STACK_REPLICAS names 'gateway'; it takes offers, orders, payments, notifications"
            in done.stdout)
    assert "starting" not in done.stdout
    assert not (tmp_path / "data").exists()


def test_a_test_s_stack_runs_one_process_a_service_unless_it_asks_for_more(monkeypatch: pytest.MonkeyPatch,
                                                                             tmp_path) -> None:
    monkeypatch.setenv("STACK_REPLICAS", "orders=2")
    assert "STACK_REPLICAS" not in stack_environment(tmp_path)
    assert stack_environment(tmp_path, STACK_REPLICAS="notifications=2")["STACK_REPLICAS"] == "notifications=2"
