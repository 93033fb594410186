"""Runs the whole system on one machine: infrastructure, migrations, services, demo data."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from servicekit.caller import new_key_pair

from .broker import EMBEDDED_BROKER_FETCH_MAX_WAIT_MS, EMBEDDED_BROKER_SESSION_TIMEOUT_MS, TansuBroker, create_topics
from .children import SupervisedBroker, SupervisedPostgres
from .config import DATABASES, DEMO_ACCOUNT, SERVICES, TOPIC_PARTITIONS, StackConfig, service_of
from .mailbox import MAILBOX_SEND_CONCURRENCY
from .ports import port_is_free, wait_for_port
from .postgres import EmbeddedPostgres, create_databases, database_url, left_running
from .supervisor import Child, Process, Supervisor


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.data = config.data_dir.resolve()
        self.logs = self.data / "logs"
        # What this stack started and keeps running, infrastructure first, in the order started.
        self.infrastructure: list[Child] = []
        self.services: dict[str, Process] = {}
        self.supervisor = Supervisor(say, self.data / "processes.json")
        self.postgres: EmbeddedPostgres | None = None
        self.broker: TansuBroker | None = None
        self.admin_url = ""
        self.kafka = ""
        self.smtp = ("", 0)
        self.own_mailbox = False
        # A new pair on every start: the gateway's proofs last a minute, so nothing needs it kept.
        self.signing_key, self.gateway_public_key = new_key_pair()

    # -- infrastructure -------------------------------------------------------------------
    def ports_wanted(self) -> dict[str, int]:
        """Every port this stack would listen on, by what would listen there."""
        c = self.config
        wanted = {name: c.port(name) for name in c.listeners()}
        # Our own PostgreSQL, left running by a stack that was killed, is restarted rather than refused.
        if not c.postgres_url and not left_running(self.data / "pgdata", c.postgres_port):
            wanted["PostgreSQL"] = c.postgres_port
        if not c.kafka_bootstrap:
            wanted["the broker"] = c.kafka_port
        if not c.smtp_host:
            wanted["the mailbox (SMTP)"], wanted["the mailbox (web)"] = c.smtp_port, c.mailbox_port
        return wanted

    def check_ports(self) -> None:
        """Refuse to start anything when a port is taken: a second stack must not half-start."""
        wanted = self.ports_wanted()
        by_port: dict[int, list[str]] = {}
        for what, port in wanted.items():
            by_port.setdefault(port, []).append(what)
        twice = [f"{port} ({' and '.join(whats)})" for port, whats in by_port.items() if len(whats) > 1]
        if twice:
            raise PortsTaken(
                f"two parts of the stack would listen on one port: {', '.join(twice)}. The services and their "
                "replicas take the ports from STACK_PORT_BASE on (see STACK_REPLICAS); move STACK_PORT_BASE "
                "or the port that is in the way."
            )
        taken = [f"{port} ({what})" for what, port in wanted.items()
                 if not port_is_free(self.config.host, port)]
        if taken:
            raise PortsTaken(
                f"ports already taken on {self.config.host}: {', '.join(taken)}. Is the stack already running "
                f"(see {self.data / 'stack.json'})? Stop it, or start this one elsewhere with STACK_PORT_BASE, "
                "STACK_POSTGRES_PORT, STACK_KAFKA_PORT, STACK_SMTP_PORT and STACK_MAILBOX_PORT."
            )

    def start_infrastructure(self) -> None:
        self.check_ports()
        self.logs.mkdir(parents=True, exist_ok=True)
        c = self.config
        if c.postgres_url:
            self.admin_url = c.postgres_url
        else:
            say(f"starting PostgreSQL on {c.host}:{c.postgres_port} (data in {self.data / 'pgdata'})")
            self.postgres = EmbeddedPostgres(self.data / "pgdata", c.postgres_port, c.host)
            self._start(SupervisedPostgres(self.postgres))
            self.admin_url = self.postgres.url()
        asyncio.run(create_databases(self.admin_url, list(DATABASES)))
        from contracts import ALL_TOPICS, dlq_topic

        topics = [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)]
        if c.kafka_bootstrap:
            self.kafka = c.kafka_bootstrap
            asyncio.run(create_topics(self.kafka, topics, TOPIC_PARTITIONS))
        else:
            say(f"starting the Kafka-protocol broker on {c.host}:{c.kafka_port}")
            self.broker = TansuBroker(c.kafka_port, self.logs / "broker.log", c.host)
            # It keeps its topics in memory only: every start of it, a restart too, creates them.
            self._start(SupervisedBroker(self.broker, topics))
            self.kafka = self.broker.bootstrap
        if c.smtp_host:
            self.smtp = (c.smtp_host, c.smtp_port)
        else:
            say(f"starting the mailbox: SMTP on {c.host}:{c.smtp_port}, web on {c.host}:{c.mailbox_port}")
            self._start(Process("mailbox", [sys.executable, "-m", "localstack.mailbox", "--dir", str(self.data / "mail"),
                                            "--smtp-port", str(c.smtp_port), "--http-port", str(c.mailbox_port)], {},
                                self.logs / "mailbox.log"))
            wait_for_port(c.host, c.smtp_port)
            self.smtp = (c.host, c.smtp_port)
            self.own_mailbox = True

    def _start(self, child: Child) -> None:
        """Start one part of the stack; from now on it is kept running."""
        child.start()
        if isinstance(child, Process) and child.name in self.config.processes():
            self.services[child.name] = child
        else:
            self.infrastructure.append(child)
        self.supervisor.watch(child)

    # -- services -------------------------------------------------------------------------
    def service_env(self, process: str) -> dict[str, str]:
        """The environment of one process: a service's replicas differ only in their HTTP ports."""
        c = self.config
        name = service_of(process)
        if name == "gateway":
            env = {"GATEWAY_HTTP_HOST": c.host, "GATEWAY_HTTP_PORT": str(c.port("gateway")),
                   "GATEWAY_JWT_SECRET": c.jwt_secret, "GATEWAY_SIGNING_KEY": self.signing_key,
                   "GATEWAY_DEVELOPMENT": "true",
                   # The console's "Sign in as the demo school's owner": the school seed() makes.
                   "GATEWAY_DEMO_ACCOUNT": str(DEMO_ACCOUNT),
                   "GATEWAY_PUBLIC_RATE_PER_MINUTE": os.environ.get("GATEWAY_PUBLIC_RATE_PER_MINUTE", "100000")}
            env.update({f"GATEWAY_{s.upper()}_URL": c.url(s) for s in SERVICES})
            return env
        prefix = name.upper()
        env = {
            f"{prefix}_DATABASE_URL": database_url(self.admin_url, name),
            f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            f"{prefix}_HTTP_HOST": c.host,
            f"{prefix}_HTTP_PORT": str(c.port(process)),
            f"{prefix}_GATEWAY_KEYS": self.gateway_public_key,
        }
        if name in ("offers", "orders", "payments"):
            env[f"{prefix}_SANDBOX_ENABLED"] = "true"  # the demo school sells through it
        if self.broker is not None:
            # Our own broker holds each new consumer for half its session timeout; Kafka would
            # refuse one this short, so an external broker keeps the services' default.
            env[f"{prefix}_KAFKA_SESSION_TIMEOUT_MS"] = os.environ.get(
                f"{prefix}_KAFKA_SESSION_TIMEOUT_MS", str(EMBEDDED_BROKER_SESSION_TIMEOUT_MS))
            env[f"{prefix}_KAFKA_FETCH_MAX_WAIT_MS"] = os.environ.get(
                f"{prefix}_KAFKA_FETCH_MAX_WAIT_MS", str(EMBEDDED_BROKER_FETCH_MAX_WAIT_MS))
            # Topics a service makes again after the broker lost them have the stack's partitions.
            env[f"{prefix}_KAFKA_TOPIC_PARTITIONS"] = str(TOPIC_PARTITIONS)
        if name == "offers":
            env["OFFERS_PUBLIC_BASE_URL"] = c.url("gateway")
        if name == "payments":
            env["PAYMENTS_CREDENTIALS_KEYS"] = self.credentials_keys()
            public = "payments-public" if process == name else f"payments-public-{process.rsplit('-', 1)[1]}"
            env["PAYMENTS_PUBLIC_HTTP_PORT"] = str(c.port(public))
            env["PAYMENTS_PUBLIC_BASE_URL"] = c.url("payments-public")
        if name == "notifications":
            env["NOTIFICATIONS_SMTP_HOST"], env["NOTIFICATIONS_SMTP_PORT"] = self.smtp[0], str(self.smtp[1])
            if self.own_mailbox:
                # Our own mailbox takes any number of sessions; a real provider keeps the default.
                env["NOTIFICATIONS_SEND_CONCURRENCY"] = os.environ.get(
                    "NOTIFICATIONS_SEND_CONCURRENCY", str(MAILBOX_SEND_CONCURRENCY))
        return env

    def credentials_keys(self) -> str:
        """The key that seals schools' provider credentials: kept beside the data it opens, 0600."""
        given = os.environ.get("PAYMENTS_CREDENTIALS_KEYS")
        if given:
            return given
        path = self.data / "payments-credentials-keys"
        if not path.exists():
            from payments.adapters.sealing import new_key

            path.touch(mode=0o600)
            path.write_text(new_key())
        return path.read_text().strip()

    def migrate(self) -> None:
        for name in SERVICES:
            say(f"migrating {name}")
            env = {**os.environ, **self.service_env(name)}
            subprocess.run([sys.executable, "-m", name, "migrate"], env=env, check=True,
                           stdout=(self.logs / f"{name}.migrate.log").open("ab"), stderr=subprocess.STDOUT)

    def start_services(self) -> None:
        for name in self.config.processes():
            self._start(Process(name, self.service_argv(name), self.service_env(name),
                                self.logs / f"{name}.log", ready=self._ready_check(name)))
        self.wait_ready()

    def service_argv(self, name: str) -> list[str]:
        """`python -m <name> serve`; under the profiler switch (profiled.py) when STACK_PROFILE names it."""
        service = service_of(name)
        if service in self.config.profile:
            return [sys.executable, "-m", "localstack.profiled", str(self.data / "profiles"), service, "serve"]
        return [sys.executable, "-m", service, "serve"]

    def _ready_check(self, name: str) -> Callable[[], bool]:
        """Whether the service answers /ready: the supervisor asks after restarting it."""
        url = f"{self.config.url(name)}/ready"

        def ready() -> bool:
            try:
                return httpx.get(url, timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return False

        return ready

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        pending = self.config.processes()
        with httpx.Client(timeout=2) as client:
            while pending:
                self.check_started()
                name = pending[0]
                try:
                    if client.get(f"{self.config.url(name)}/ready").status_code == 200:
                        say(f"{name} is ready")
                        pending.pop(0)
                        continue
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not become ready; see {self.logs / (name + '.log')}")
                time.sleep(0.2)

    def check_started(self) -> None:
        """While the stack starts, a process that ends stops it: that is a fault to fix, not to retry."""
        for child in [*self.infrastructure, *self.services.values()]:
            if (how := child.ended()) is not None:
                raise RuntimeError(f"{child.name} stopped ({how}); see {child.log or self.logs}")

    def supervise(self) -> None:
        """Once started: restart whatever ends (see supervisor.py)."""
        self.supervisor.tick()

    # -- stopping -------------------------------------------------------------------------
    def stop(self) -> None:
        """Services first, all at once, the gateway first; then the infrastructure, last started first."""
        self.supervisor.stopping = True
        services = list(reversed(self.services.values()))
        for service in services:
            service.terminate()
        for service in services:
            service.wait()
            say(f"stopped {service.name}")
        for child in reversed(self.infrastructure):
            child.stop()
            say(f"stopped {child.name}")


class PortsTaken(RuntimeError):
    """Another process listens where this stack would."""


def say(text: str) -> None:
    print(f"[stack] {datetime.now(UTC):%H:%M:%S} {text}", flush=True)


def write_state(path: Path, state: dict[str, object]) -> None:
    path.write_text(json.dumps(state, indent=2, default=str))
