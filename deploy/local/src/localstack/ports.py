import random
import socket
import time
from pathlib import Path

# Ports a default `make run` listens on: never handed out, so tests beside it leave them alone.
STACK_DEFAULTS = frozenset({8000, 8001, 8002, 8003, 8004, 8005, 8025, 1025, 19092, 54329})
_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    """Where the kernel's range for outgoing connections starts (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, below the range outgoing connections take their ports from.

    A port the kernel gave us from its ephemeral range may be given again, to any outgoing
    connection, before the server we picked it for binds it; one below that range is only ever
    taken by someone listening. Never the same port twice in one process.
    """
    low = _ephemeral_low()
    if low <= 10_000:  # no room below the ephemeral range: let the kernel choose
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for _ in range(500):
        port = random.randrange(10_000, low)
        if port not in _handed_out and port not in STACK_DEFAULTS and port_is_free("127.0.0.1", port):
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port found below the ephemeral range")


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free ports (the stack's gateway and services), as free_port picks."""
    for _ in range(500):
        base = free_port()
        block = range(base, base + size)
        if all(p == base or (p not in _handed_out and p not in STACK_DEFAULTS and port_is_free("127.0.0.1", p))
               for p in block):
            _handed_out.update(block)
            return base
    raise RuntimeError(f"no {size} consecutive free ports found")


def port_is_free(host: str, port: int) -> bool:
    """Whether we could listen on `port` now: nothing holds it, whoever started that."""
    with socket.socket() as s:
        # As servers bind: connections of a stopped server still waiting out TIME_WAIT do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s") from None
            time.sleep(0.05)
