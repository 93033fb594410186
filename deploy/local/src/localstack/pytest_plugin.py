"""pytest fixtures: real PostgreSQL and a real Kafka-protocol broker for the whole test run.

By default both are started here (embedded PostgreSQL, Tansu). Set TEST_POSTGRES_URL
(an admin URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and/or
TEST_KAFKA_BOOTSTRAP to use servers you already run; set TEST_USE_TESTCONTAINERS=1 to
start Apache Kafka and PostgreSQL containers where a Docker engine exists.
"""

import asyncio
import os
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .broker import EMBEDDED_BROKER_FETCH_MAX_WAIT_MS, TansuBroker
from .ports import free_port
from .postgres import EmbeddedPostgres, create_databases, database_url


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
            os.environ.setdefault(f"{prefix}_KAFKA_FETCH_MAX_WAIT_MS", str(EMBEDDED_BROKER_FETCH_MAX_WAIT_MS))
    try:
        yield Infra(pg_url, kafka)
    finally:
        for stop in reversed(stops):
            stop()  # type: ignore[operator]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[TansuBroker]:
    """An embedded broker of the test's own, so it can be killed (`.process.kill()`) and started
    again on the same port, empty, with `.start()`."""
    tansu = TansuBroker(free_port(), tmp_path / "broker.log")
    tansu.start()
    yield tansu
    tansu.stop()


# A test under a `tests/unit/` folder checks domain rules and pure functions only, so that the unit
# layer runs alone in seconds and a failure there points at logic, never at a server. These are the
# fixtures that start one; anything built on them has them in its closure too.
IO_FIXTURES = frozenset({"infra", "own_broker", "mailbox", "standin"})


def _in_unit_folder(path: Path) -> bool:
    parts = path.parts
    return any(parts[i:i + 2] == ("tests", "unit") for i in range(len(parts) - 1))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _in_unit_folder(item.path):
            item.add_marker(pytest.mark.unit)


def _refuse(what: str):
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a unit test {what}; it belongs under tests/integration/")

    return refused


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("unit") is None:
        return
    # Refused before any fixture is set up, so a misplaced test starts no server on its way to failing.
    used = sorted(IO_FIXTURES.intersection(getattr(item, "fixturenames", ())))
    if used:
        pytest.fail(f"a unit test uses {', '.join(used)}; it belongs under tests/integration/", pytrace=False)


@contextmanager
def _no_io() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse("opened a connection"))
        patch.setattr(socket.socket, "connect_ex", _refuse("opened a connection"))
        patch.setattr(socket.socket, "bind", _refuse("listened on a port"))
        patch.setattr(subprocess.Popen, "__init__", _refuse("started a process"))
        yield


# Setup and the test itself only: the last test of a run also tears down the session's servers.
@pytest.hookimpl(wrapper=True, specname="pytest_runtest_setup")
def _unit_setup_without_io(item: pytest.Item):
    if item.get_closest_marker("unit") is None:
        return (yield)
    with _no_io():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if item.get_closest_marker("unit") is None:
        return (yield)
    with _no_io():
        return (yield)
