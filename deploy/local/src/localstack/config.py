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

    def port(self, name: str) -> int:
        return self.port_base + LISTENERS.index(name)

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.port(name)}"
