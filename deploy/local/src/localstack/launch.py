"""A whole local stack of one's own, started as `make run` starts it: for the tests and the chaos run.

Its own data folder, free ports, its own embedded PostgreSQL, broker and mailbox, exactly as
on a fresh machine; stopped with Ctrl-C (SIGINT) at the end, its data removed.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import LISTENERS, parse_replicas
from .ports import free_port, free_port_block
from .postgres_home import remove_data


def listeners_for(replicas: str) -> int:
    """How many ports from STACK_PORT_BASE on a stack with these STACK_REPLICAS listens on."""
    extra = parse_replicas(replicas)
    return len(LISTENERS) + sum((n - 1) * (2 if name == "payments" else 1) for name, n in extra.items())


def stack_environment(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a `python -m localstack run` of a test's own: its data folder, free
    ports, and its own embedded PostgreSQL, broker and mailbox, exactly as on a fresh machine."""
    env = {
        **os.environ,
        "STACK_DATA_DIR": str(data),
        # The gateway, the four services, payments' public listener, then the replicas' (STACK_REPLICAS).
        "STACK_PORT_BASE": str(free_port_block(listeners_for(extra.get("STACK_REPLICAS", "")))),
        "STACK_SMTP_PORT": str(free_port()),
        "STACK_MAILBOX_PORT": str(free_port()),
        "STACK_POSTGRES_PORT": str(free_port()),
        "STACK_KAFKA_PORT": str(free_port()),
        **extra,
    }
    for name in ("STACK_POSTGRES_URL", "STACK_KAFKA_BOOTSTRAP", "STACK_SMTP_HOST"):
        env.pop(name, None)
    if "STACK_REPLICAS" not in extra:  # one process a service, unless the test asks for more
        env.pop("STACK_REPLICAS", None)
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
