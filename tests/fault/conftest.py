"""The four services and the gateway, each a real HTTP server, for the fault suite.

They run in a thread of their own, with their own event loop, so the tests (and schemathesis,
which is synchronous) talk to them over real sockets exactly as the gateway talks to the
services: pooled keep-alive connections, real PostgreSQL, the real broker. Nothing leaves the
machine: the payment providers' APIs point at a closed local port.
"""

import asyncio
import importlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from contracts import ALL_TOPICS, dlq_topic
from localstack.broker import create_topics
from localstack.ports import free_port
from servicekit.migrations import upgrade
from servicekit.testing import as_account, fresh_group_after_published

SECRET = "a-fault-suite-secret-that-is-long-enough-for-hs256"
SERVICES = ("offers", "orders", "payments", "notifications")


@dataclass
class Crm:
    urls: dict[str, str]  # the gateway's and each service's base URL
    servers: list[uvicorn.Server] = field(default_factory=list)

    def token(self, account: UUID, role: str = "owner") -> dict[str, str]:
        """A CRM user's bearer token, as the school platform's sign-in gives it."""
        from gateway.auth import mint

        token = mint(SECRET, account_id=account, user_id="fault-suite", role=role,  # type: ignore[arg-type]
                     ttl=timedelta(hours=2))
        return {"Authorization": f"Bearer {token}"}

    @staticmethod
    def proof(account: UUID) -> dict[str, str]:
        """The gateway's proof, for calling a service directly."""
        return as_account(account)

    def gateway(self) -> httpx.Client:
        return httpx.Client(base_url=self.urls["gateway"], timeout=20)


def _settings(name: str, infra: Any, database_url: str, group: str, dead: str) -> Any:
    settings_type = importlib.import_module(f"{name}.settings").Settings
    extra: dict[str, Any] = {}
    if name == "payments":
        # The providers' real clients, pointed where nothing answers: no request leaves the machine.
        extra = {"stripe_api_base": dead, "stripe_max_network_retries": 0, "wayforpay_api_url": dead,
                 "public_base_url": "http://pay.school.test"}
    if name == "notifications":
        extra = {"smtp_port": int(dead.rsplit(":", 1)[1]), "send_retry_first": 60.0}
    if name == "orders":
        extra = {"clock_interval_seconds": 0}
    return settings_type(database_url=database_url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False,
                         log_level="WARNING", consumer_group=group, **extra)


class _Served(threading.Thread):
    """Builds and serves the apps in this thread's own loop, until told to stop."""

    def __init__(self, infra: Any, databases: dict[str, str]) -> None:
        super().__init__(name="fault-suite-crm", daemon=True)
        self.infra, self.databases = infra, databases
        self.ports = {name: free_port() for name in (*SERVICES, "gateway")}
        self.ready = threading.Event()
        self.failed: BaseException | None = None
        self.servers: list[uvicorn.Server] = []

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - told to the test thread, which raises it
            self.failed = exc
            self.ready.set()

    async def _serve(self) -> None:
        from gateway.main import create_app as gateway_app
        from gateway.settings import Settings as GatewaySettings

        dead = f"http://127.0.0.1:{free_port()}"
        group = await fresh_group_after_published(self.infra.kafka_bootstrap)
        apps: dict[str, Any] = {}
        for name in SERVICES:
            main = importlib.import_module(f"{name}.main")
            apps[name] = main.create_app(_settings(name, self.infra, self.databases[name], f"{group}-{name}", dead))
        urls = {name: f"http://127.0.0.1:{self.ports[name]}" for name in SERVICES}
        apps["gateway"] = gateway_app(GatewaySettings(
            jwt_secret=SECRET, log_json=False, log_level="WARNING", public_rate_per_minute=1_000_000,
            offers_url=urls["offers"], orders_url=urls["orders"], payments_url=urls["payments"],
            notifications_url=urls["notifications"]))
        for name, app in apps.items():
            self.servers.append(uvicorn.Server(uvicorn.Config(
                app, host="127.0.0.1", port=self.ports[name], log_config=None, access_log=False)))
        tasks = [asyncio.create_task(server.serve()) for server in self.servers]
        while not all(server.started for server in self.servers):
            if any(task.done() for task in tasks):
                await asyncio.gather(*tasks)
                raise RuntimeError("a server of the fault suite stopped while starting")
            await asyncio.sleep(0.05)
        self.ready.set()
        await asyncio.gather(*tasks)


@pytest.fixture(scope="session")
def crm(infra) -> Iterator[Crm]:
    databases = {}
    for name in SERVICES:
        main = importlib.import_module(f"{name}.main")
        databases[name] = infra.new_database(name)
        upgrade(main.MIGRATIONS, databases[name])
    asyncio.run(create_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)]))
    served = _Served(infra, databases)
    served.start()
    if not served.ready.wait(120):
        raise RuntimeError("the fault suite's servers did not start in time")
    if served.failed is not None:
        raise served.failed
    urls = {name: f"http://127.0.0.1:{port}" for name, port in served.ports.items()}
    try:
        yield Crm(urls, served.servers)
    finally:
        for server in served.servers:
            server.should_exit = True
        served.join(60)


@pytest.fixture
def account() -> UUID:
    return uuid4()
