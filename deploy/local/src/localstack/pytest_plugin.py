"""pytest fixtures: real PostgreSQL and a real Kafka-protocol broker for the whole test run.

By default both are started here (embedded PostgreSQL, Tansu). Set TEST_POSTGRES_URL
(an admin URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and/or
TEST_KAFKA_BOOTSTRAP to use servers you already run; set TEST_USE_TESTCONTAINERS=1 to
start Apache Kafka and PostgreSQL containers where a Docker engine exists.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .broker import TansuBroker
from .ports import free_port, free_port_block
from .postgres import EmbeddedPostgres, create_databases, database_url
from .postgres_home import remove_data


# Tests use the embedded broker's shortest useful session (see broker.py): its floor is a 1 s wait.
TEST_SESSION_TIMEOUT_MS = 2000
SERVICE_PREFIXES = ("OFFERS", "ORDERS", "PAYMENTS", "NOTIFICATIONS")


@dataclass(frozen=True)
class Infra:
    postgres_admin_url: str
    kafka_bootstrap: str

    def new_database(self, prefix: str) -> str:
        """A fresh, empty database on the test server; returns its asyncpg URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        asyncio.run(create_databases(self.postgres_admin_url, [name]))
        return database_url(self.postgres_admin_url, name)


def stack_environment(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a `python -m localstack run` of a test's own: its data folder, free
    ports, and its own embedded PostgreSQL, broker and mailbox, exactly as on a fresh machine."""
    env = {
        **os.environ,
        "STACK_DATA_DIR": str(data),
        "STACK_PORT_BASE": str(free_port_block(6)),  # the gateway, the four services, payments' public listener
        "STACK_SMTP_PORT": str(free_port()),
        "STACK_MAILBOX_PORT": str(free_port()),
        "STACK_POSTGRES_PORT": str(free_port()),
        "STACK_KAFKA_PORT": str(free_port()),
        **extra,
    }
    for name in ("STACK_POSTGRES_URL", "STACK_KAFKA_BOOTSTRAP", "STACK_SMTP_HOST"):
        env.pop(name, None)
    return env


@dataclass
class LaunchedStack:
    process: subprocess.Popen[bytes]
    data: Path
    state: dict[str, Any]

    @property
    def output(self) -> str:
        """What the launcher has printed so far."""
        return (self.data / "stack.out").read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted((self.data / "logs").glob("*.log")))


@contextlib.contextmanager
def launched_stack(data: Path, env: dict[str, str], timeout: float = 180) -> Iterator[LaunchedStack]:
    """`python -m localstack run` as `make run` starts it, until it has written its URLs; stopped
    with Ctrl-C (SIGINT) at the end, its data removed."""
    process = subprocess.Popen([sys.executable, "-m", "localstack", "run"], env=env,
                               stdout=(data / "stack.out").open("wb"), stderr=subprocess.STDOUT)
    state_file = data / "stack.json"
    try:
        deadline = time.monotonic() + timeout
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                stack = LaunchedStack(process, data, {})
                raise AssertionError(f"the stack did not start:\n{stack.output}\n{stack.logs()}")
            time.sleep(0.5)
        yield LaunchedStack(process, data, json.loads(state_file.read_text()))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        # Its PostgreSQL data may have been placed outside the temporary folder (see postgres_home).
        remove_data(data / "pgdata")


def _testcontainers() -> tuple[str, str, list[object]]:
    from testcontainers.kafka import KafkaContainer  # type: ignore[import-not-found]
    from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

    pg = PostgresContainer("postgres:17", driver="asyncpg").start()
    kafka = KafkaContainer().with_kraft().start()
    return pg.get_connection_url(), kafka.get_bootstrap_server(), [pg, kafka]


def pytest_configure(config: pytest.Config) -> None:
    """A gateway key pair of the run's own: the services trust it, `as_account` signs with it."""
    from servicekit.caller import new_key_pair

    private, public = new_key_pair()
    os.environ["GATEWAY_SIGNING_KEY"] = private
    # In-process tests reach payments' public and internal routes through one client; the split
    # of its listeners has tests of its own, and the local stack runs it split.
    os.environ["PAYMENTS_PUBLIC_HTTP_PORT"] = "0"
    # The tests buy through the sandbox; its own tests turn it off where they check that.
    for prefix in ("OFFERS", "ORDERS", "PAYMENTS"):
        os.environ[f"{prefix}_SANDBOX_ENABLED"] = "true"
    # A credentials key of the run's own (schools' provider secrets are sealed with it).
    from payments.adapters.sealing import new_key

    os.environ["PAYMENTS_CREDENTIALS_KEYS"] = new_key()
    for prefix in SERVICE_PREFIXES:
        os.environ[f"{prefix}_GATEWAY_KEYS"] = public


def _interrupt(signum: int, frame: object) -> None:
    # A run stopped with SIGTERM still tears down the servers it started.
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    signal.signal(signal.SIGTERM, _interrupt)
    stops: list[object] = []
    pg_url = os.environ.get("TEST_POSTGRES_URL")
    kafka = os.environ.get("TEST_KAFKA_BOOTSTRAP")
    workdir = Path(tempfile.mkdtemp(prefix="crm-test-"))
    if os.environ.get("TEST_USE_TESTCONTAINERS") == "1" and not (pg_url and kafka):
        pg_url, kafka, containers = _testcontainers()
        stops.extend(c.stop for c in containers)  # type: ignore[attr-defined]
    if not pg_url:
        pg = EmbeddedPostgres(workdir / "pgdata", free_port())
        pg.start()
        stops.append(pg.remove)
        pg_url = pg.url()
    if not kafka:
        broker = TansuBroker(free_port(), workdir / "tansu.log")
        broker.start()
        stops.append(broker.stop)
        kafka = broker.bootstrap
        # Every service's settings made in this run take it from the environment (see the setting).
        for prefix in SERVICE_PREFIXES:
            os.environ.setdefault(f"{prefix}_KAFKA_SESSION_TIMEOUT_MS", str(TEST_SESSION_TIMEOUT_MS))
    try:
        yield Infra(pg_url, kafka)
    finally:
        for stop in reversed(stops):
            stop()  # type: ignore[operator]
