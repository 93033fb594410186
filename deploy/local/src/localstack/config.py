"""What the local stack runs where; every value can be changed through the environment."""

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from gateway.settings import DEV_SECRET

SERVICES = ("offers", "orders", "payments", "notifications")
# Every listener on the port base and after it: the gateway, the services, payments' public one.
LISTENERS = ("gateway", *SERVICES, "payments-public")
DATABASES = SERVICES
# What STACK_PROFILE may name: the processes that run our own code.
PROFILABLE = (*SERVICES, "gateway")
# Partitions of each topic the stack and its services create (servicekit.topics.create_topics): a
# consumer group's members beyond this many get none. Four, the number the embedded broker gives a
# topic it makes on its own when a client asks about it: after the broker restarts empty, a
# consumer's question can make a topic before the services do, and a consumer that joined its
# group with the partitions it knew from the old broker would never be given the others (that
# broker hands a member rejoining its group the assignment it had, docs/reliability.md).
TOPIC_PARTITIONS = 4
# The demo school is the same on every start, so its data and token survive restarts.
DEMO_ACCOUNT = uuid.uuid5(uuid.NAMESPACE_URL, "https://demo.school.local")


def profiled_names(value: str) -> frozenset[str]:
    """STACK_PROFILE: a comma-separated list of the services and the gateway, or "all"."""
    names = {n.strip() for n in value.split(",") if n.strip()}
    if "all" in names:
        return frozenset(PROFILABLE)
    unknown = names - set(PROFILABLE)
    if unknown:
        raise ValueError(f"STACK_PROFILE names {', '.join(sorted(unknown))}; it takes {', '.join(PROFILABLE)} or all")
    return frozenset(names)


def parse_replicas(value: str) -> dict[str, int]:
    """STACK_REPLICAS: how many processes of a service to run, `orders=2,notifications=2`; the
    services not named run one. Anything else (an unknown name, a count below 1, a name twice) is refused."""
    replicas: dict[str, int] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, equals, count = (part.strip() for part in item.partition("="))
        if not equals or not name or not count:
            raise ValueError(f"STACK_REPLICAS: {item!r} is not <service>=<count>, e.g. orders=2,notifications=2")
        if name not in SERVICES:
            raise ValueError(f"STACK_REPLICAS names {name!r}; it takes {', '.join(SERVICES)}")
        if name in replicas:
            raise ValueError(f"STACK_REPLICAS names {name} twice")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"STACK_REPLICAS: {name}={count}: the count must be a whole number of at least 1")
        replicas[name] = int(count)
    return replicas


def replica_name(service: str, replica: int) -> str:
    """The first replica is the service's own name (as with one process); the others are `orders-2`..."""
    return service if replica == 1 else f"{service}-{replica}"


def idle_replicas(replicas: dict[str, int], partitions: int = TOPIC_PARTITIONS) -> list[str]:
    """What to say of services given more replicas than their topics have partitions: a consumer
    group gives each partition to one member, so the extra ones would consume nothing."""
    return [f"{name}: {count} replicas, but its topics have {partitions} partitions; "
            f"{count - partitions} of them will consume nothing"
            for name, count in replicas.items() if count > partitions]


def service_of(process: str) -> str:
    """The service a process name (`orders`, `orders-2`) runs; the name itself for anything else."""
    head, _, tail = process.rpartition("-")
    return head if head in SERVICES and tail.isdigit() else process


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass
class StackConfig:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("STACK_DATA_DIR", ".local")))
    # Existing infrastructure, when given, is used instead of starting our own.
    postgres_url: str | None = field(default_factory=lambda: os.environ.get("STACK_POSTGRES_URL"))
    kafka_bootstrap: str | None = field(default_factory=lambda: os.environ.get("STACK_KAFKA_BOOTSTRAP"))
    smtp_host: str | None = field(default_factory=lambda: os.environ.get("STACK_SMTP_HOST"))
    smtp_port: int = field(default_factory=lambda: _env_int("STACK_SMTP_PORT", 1025))
    postgres_port: int = field(default_factory=lambda: _env_int("STACK_POSTGRES_PORT", 54329))
    kafka_port: int = field(default_factory=lambda: _env_int("STACK_KAFKA_PORT", 19092))
    mailbox_port: int = field(default_factory=lambda: _env_int("STACK_MAILBOX_PORT", 8025))
    # The gateway on the base port, then offers, orders, payments, notifications, payments' public listener.
    port_base: int = field(default_factory=lambda: _env_int("STACK_PORT_BASE", 8000))
    host: str = "127.0.0.1"
    jwt_secret: str = field(default_factory=lambda: os.environ.get("GATEWAY_JWT_SECRET", DEV_SECRET))
    # Services (or "all") started under the profiler switch, for `make bench ARGS="--profile <name>"`.
    profile: frozenset[str] = field(default_factory=lambda: profiled_names(os.environ.get("STACK_PROFILE", "")))

    # Extra processes of a service, sharing its database and consumer group (STACK_REPLICAS).
    replicas: dict[str, int] = field(default_factory=lambda: parse_replicas(os.environ.get("STACK_REPLICAS", "")))

    def replica_names(self, service: str) -> list[str]:
        return [replica_name(service, n) for n in range(1, self.replicas.get(service, 1) + 1)]

    def processes(self) -> list[str]:
        """Every process of our own code, in the order started: each service's replicas, then the gateway."""
        return [*(name for service in SERVICES for name in self.replica_names(service)), "gateway"]

    def listeners(self) -> list[str]:
        """Every listener on the port base and after it, in port order: the one-replica layout first,
        unchanged, then each extra replica's (payments' with its public one after it)."""
        extra = []
        for service in SERVICES:
            for name in self.replica_names(service)[1:]:
                extra.append(name)
                if service == "payments":
                    extra.append(f"payments-public-{name.rsplit('-', 1)[1]}")
        return [*LISTENERS, *extra]

    def port(self, name: str) -> int:
        return self.port_base + self.listeners().index(name)

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.port(name)}"
