"""Benchmark of load shedding through the running local stack (`make run` first).

    python -m localstack.bench_shedding [--rate 100] [--duration 15] [--path /api/v1/orders]
                                        [--timeout 10] [--state .local/stack.json]

Requests go to the gateway at a fixed rate (open loop: a slow answer does not slow the sender,
as with real users), as the demo school's owner. Each ends as an answer (by status) or as a
timeout of the client's own; the figures are how many of each, and how fast each kind came.
A stack that sheds answers what it can and refuses the rest with a fast 503; one that does not
lets requests queue until they time out.
"""

import argparse
import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from .bench import pct


async def request(host: str, port: int, path: str, token: str, timeout: float) -> tuple[str, str]:
    """One GET on a connection of its own, written by hand: the sender must stay cheaper than
    what it measures (an HTTP client library costs milliseconds of CPU per request, enough to
    fall behind the schedule on a small machine). Returns (outcome, Retry-After)."""
    phase = "connecting"

    async def exchange() -> tuple[str, str]:
        nonlocal phase
        reader, writer = await asyncio.open_connection(host, port)
        phase = "waiting for the answer"
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                         "Connection: close\r\n\r\n".encode())
            raw = await reader.read(-1)
        finally:
            writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = lines[0].split()[1]
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        outcome = status
        if status != "200":  # who refused, and why
            try:
                outcome += f" {json.loads(body).get('detail', '')[:40]}"
            except ValueError:
                pass
        return outcome, headers.get("retry-after", "")

    try:
        return await asyncio.wait_for(exchange(), timeout)
    except TimeoutError:
        return f"timeout ({phase})", ""
    except OSError as exc:
        return f"error ({type(exc).__name__})", ""


async def run(gateway: str, token: str, path: str, rate: float, duration: float, timeout: float) -> None:
    url = urlsplit(gateway)
    outcomes: list[tuple[str, float, str]] = []  # (outcome, seconds, retry-after)
    lateness: list[float] = []

    async def one(due: float) -> None:
        started = time.perf_counter()
        lateness.append(started - due)
        outcome, retry_after = await request(url.hostname or "127.0.0.1", url.port or 80, path, token, timeout)
        outcomes.append((outcome, time.perf_counter() - started, retry_after))

    tasks = []
    count = int(rate * duration)
    began = time.perf_counter()
    for i in range(count):
        due = began + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - began

    by_outcome = Counter(outcome for outcome, _, _ in outcomes)
    print(f"{count} requests to {path} at {rate:g}/s for {duration:g} s (client timeout {timeout:g} s); "
          f"all ended after {wall:.1f} s; sent late by p99 {pct(lateness, 0.99) * 1000:.0f} ms")
    for outcome, n in sorted(by_outcome.items()):
        seconds = [s for o, s, _ in outcomes if o == outcome]
        print(f"  {outcome:<50} {n:5d}   p50 {pct(seconds, 0.5) * 1000:8.1f} ms   "
              f"p99 {pct(seconds, 0.99) * 1000:8.1f} ms   max {max(seconds) * 1000:8.1f} ms")
    refused = [r for o, _, r in outcomes if o.startswith("503")]
    if refused:
        print(f"  503s with Retry-After: {sum(1 for r in refused if r)} of {len(refused)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--path", default="/api/v1/orders")
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--state", type=Path, default=Path(".local/stack.json"))
    args = parser.parse_args()
    state = json.loads(args.state.read_text())
    asyncio.run(run(state["gateway"], state["token"], args.path, args.rate, args.duration, args.timeout))


if __name__ == "__main__":
    main()
