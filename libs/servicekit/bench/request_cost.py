"""What the HTTP stack costs each service per request, with no I/O in the route.

    python libs/servicekit/bench/request_cost.py [--requests 3000]

Builds each service's real app (its middleware, routers and problem handlers, as `main.py` wires
them; nothing is started, so no database or broker is needed) and sends it `GET /health` as an
ASGI call, then a request that no route answers (a 404 problem). Prints this process's CPU per
request, the median of five rounds: what every request pays before its route does any work.
Payments is measured as the local stack and Kubernetes run it, with its public listener split off.
"""

import argparse
import asyncio
import importlib
import os
import statistics
import time
from typing import Any

SERVICES = ("offers", "orders", "payments", "notifications")


def _environment() -> None:
    for name in SERVICES:
        # Never connected to: the app is only called, not started.
        os.environ.setdefault(f"{name.upper()}_DATABASE_URL", f"postgresql+asyncpg://bench:bench@127.0.0.1:1/{name}")
    os.environ.setdefault("PAYMENTS_PUBLIC_HTTP_PORT", "8005")
    from payments.adapters.sealing import new_key

    os.environ.setdefault("PAYMENTS_CREDENTIALS_KEYS", new_key())


async def _per_request(app: Any, path: str, requests: int) -> tuple[int, float]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench")], "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(50):  # warm: the first calls build caches
        await app(dict(scope, state={}), receive, send)
    rounds = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(requests):
            await app(dict(scope, state={}), receive, send)
        rounds.append((time.process_time() - started) / requests)
    return statuses[0], statistics.median(rounds)


async def main(requests: int) -> None:
    _environment()
    print(f"CPU per request through each service's app, median of 5 rounds of {requests}:")
    for name in SERVICES:
        app = importlib.import_module(f"{name}.main").create_app()
        for path in ("/health", "/no/such/route"):
            status, seconds = await _per_request(app, path, requests)
            print(f"  {name:14s} GET {path:15s} {status}  {seconds * 1e6:7.1f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args().requests))
