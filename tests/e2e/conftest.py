"""The stack, started exactly as `make run` starts it, shared by the end-to-end tests."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from localstack.ports import free_port, free_port_block
from localstack.postgres_home import remove_data
from localstack.provider_standin import ProviderStandIn, StandInThread


def wait_until(check: Callable[[], Any], timeout: float = 30, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check.__doc__ or check}")
        time.sleep(every)


@pytest.fixture(scope="session")
def providers() -> Iterator[ProviderStandIn]:
    """Stripe's and WayForPay's APIs, answered locally; the stack's payments service calls them."""
    with StandInThread(ProviderStandIn()) as stand_in:
        yield stand_in


@pytest.fixture(scope="session")
def stack(tmp_path_factory, providers) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("stack")
    base = free_port_block(6)  # the gateway, the four services, payments' public listener
    env = {
        **os.environ,
        "STACK_DATA_DIR": str(data),
        "STACK_PORT_BASE": str(base),
        "STACK_SMTP_PORT": str(free_port()),
        "STACK_MAILBOX_PORT": str(free_port()),
        # Its own embedded PostgreSQL and broker, exactly as on a fresh machine.
        "STACK_POSTGRES_PORT": str(free_port()),
        "STACK_KAFKA_PORT": str(free_port()),
        # Real provider clients, pointed at the local stand-ins of the providers' APIs.
        "PAYMENTS_STRIPE_API_BASE": providers.url,
        "PAYMENTS_STRIPE_MAX_NETWORK_RETRIES": "0",
        "PAYMENTS_WAYFORPAY_API_URL": f"{providers.url}/wfp/api",
        "PAYMENTS_WORKER_POLL_SECONDS": "0.5",
    }
    for name in ("STACK_POSTGRES_URL", "STACK_KAFKA_BOOTSTRAP", "STACK_SMTP_HOST"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "localstack", "run"], env=env,
                               stdout=(data / "stack.out").open("wb"), stderr=subprocess.STDOUT)
    state_file = data / "stack.json"
    try:
        def started() -> bool:
            """the stack wrote its URLs"""
            if process.poll() is not None:
                raise AssertionError(f"the stack exited:\n{(data / 'stack.out').read_text()}\n{_logs(data)}")
            return state_file.exists()

        wait_until(started, timeout=180, every=0.5)
        yield json.loads(state_file.read_text())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        # Its PostgreSQL data may have been placed outside the temporary folder (see postgres_home).
        remove_data(data / "pgdata")


def _logs(data: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted((data / "logs").glob("*.log")))


@pytest.fixture(scope="session")
def eventually() -> Callable[..., Any]:
    """`eventually(check, timeout=30)`: polls `check` until it returns something true, and returns that."""
    return wait_until
