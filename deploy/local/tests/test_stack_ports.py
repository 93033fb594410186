"""A second `make run` says the ports are taken and starts nothing."""

import os
import socket
import subprocess
import sys
from pathlib import Path

from localstack.ports import STACK_DEFAULTS, _ephemeral_low, free_port, free_port_block, port_is_free


def test_free_ports_lie_below_the_ephemeral_range_and_are_never_handed_out_twice() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(10_000 <= p < _ephemeral_low() for p in ports) or _ephemeral_low() <= 10_000
    assert not set(ports) & STACK_DEFAULTS
    base = free_port_block(5)
    assert not set(range(base, base + 5)) & set(ports)
    assert free_port() not in range(base, base + 5)


def test_port_is_free_sees_a_listener() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        assert not port_is_free("127.0.0.1", held.getsockname()[1])
    assert port_is_free("127.0.0.1", free_port())


def test_a_stack_whose_ports_are_taken_refuses_to_start_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as gateway, socket.socket() as broker:
        # What a running stack would hold: its gateway's port and its broker's.
        for held in (gateway, broker):
            held.bind(("127.0.0.1", 0))
            held.listen()
        taken_gateway, taken_broker = gateway.getsockname()[1], broker.getsockname()[1]
        env = {
            **os.environ,
            "STACK_DATA_DIR": str(tmp_path / "data"),
            "STACK_PORT_BASE": str(taken_gateway),
            "STACK_KAFKA_PORT": str(taken_broker),
            "STACK_POSTGRES_PORT": str(free_port()),
            "STACK_SMTP_PORT": str(free_port()),
            "STACK_MAILBOX_PORT": str(free_port()),
        }
        for name in ("STACK_POSTGRES_URL", "STACK_KAFKA_BOOTSTRAP", "STACK_SMTP_HOST"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-m", "localstack", "run"], env=env, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 1
    assert "ports already taken" in done.stdout
    assert f"{taken_gateway} (gateway)" in done.stdout and f"{taken_broker} (the broker)" in done.stdout
    assert "starting" not in done.stdout
    assert not (tmp_path / "data" / "pgdata").exists()
