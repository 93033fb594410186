"""The gateway's own CPU per forwarded request, with nothing behind it but a trivial service.

    .venv/bin/python services/gateway/bench/forward_cost.py [--requests 2000] [--clients 4] [--rounds 3]
                                                           [--only KIND] [--profile DIR]

Starts, each as a process of its own on a local socket: a stand-in service (a bare ASGI app
under uvicorn answering every path with the same small JSON body) and the real gateway, as the
stack runs it (`python -m gateway serve`, uvicorn with its default loop and parser), with every
service's URL pointing at the stand-in. This process is the load: a few concurrent clients send
a fixed number of requests of each kind, and the gateway's CPU (user and system time of its
process, from /proc) over those requests is divided by their count:

    public GET    GET  /public/v1/checkouts/{id}            (rate limited, no token)
    public POST   POST /public/v1/offers/{id}/checkouts     (a JSON body passed on)
    CRM GET       GET  /api/v1/orders/{id}                  (a CRM token checked, a proof signed)

Each round measures every kind once, after a warm-up; the figures of every round are printed,
so a shared machine's noise shows as a range. `--profile DIR` runs the gateway under
localstack.profiled and profiles the measured requests of the last round (cProfile roughly
doubles the CPU, so its figures are not the gateway's cost).
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BODY = json.dumps({"id": str(uuid.UUID(int=1)), "status": "pending", "total": "120.00"}).encode()


async def upstream_app(scope, receive, send) -> None:  # noqa: ANN001 - a bare ASGI app
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 1:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a bench process ended at start (exit {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def start(upstream_port: int, gateway_port: int, profile: Path | None) -> tuple[subprocess.Popen, subprocess.Popen]:
    from gateway.settings import DEV_SECRET
    from servicekit.caller import new_key_pair

    upstream = subprocess.Popen(
        [sys.executable, "-c", "import sys, uvicorn; sys.path.insert(0, sys.argv[1]); import forward_cost; "
         "uvicorn.run(forward_cost.upstream_app, host='127.0.0.1', port=int(sys.argv[2]), log_level='warning', "
         "access_log=False)", str(Path(__file__).parent), str(upstream_port)])
    signing_key, _ = new_key_pair()
    url = f"http://127.0.0.1:{upstream_port}"
    env = {**os.environ, "GATEWAY_HTTP_HOST": "127.0.0.1", "GATEWAY_HTTP_PORT": str(gateway_port),
           "GATEWAY_JWT_SECRET": DEV_SECRET, "GATEWAY_DEVELOPMENT": "true", "GATEWAY_SIGNING_KEY": signing_key,
           "GATEWAY_PUBLIC_RATE_PER_MINUTE": "100000000", "GATEWAY_LOG_LEVEL": "WARNING",
           **{f"GATEWAY_{s}_URL": url for s in ("OFFERS", "ORDERS", "PAYMENTS", "NOTIFICATIONS")}}
    command = ([sys.executable, "-m", "localstack.profiled", str(profile), "gateway", "serve"] if profile
               else [sys.executable, "-m", "gateway", "serve"])
    gateway = subprocess.Popen(command, env=env, cwd=ROOT)
    wait_listening(upstream_port, upstream)
    wait_listening(gateway_port, gateway)
    return upstream, gateway


def kinds(token: str) -> dict[str, tuple[str, str, dict[str, str], bytes | None]]:
    some = uuid.UUID(int=7)
    return {
        "public GET": ("GET", f"/public/v1/checkouts/{some}", {}, None),
        "public POST": ("POST", f"/public/v1/offers/{some}/checkouts", {"content-type": "application/json"},
                        json.dumps({"name": "Ann", "email": "ann@example.com", "lines": [{"item": "a"}]}).encode()),
        "CRM GET": ("GET", f"/api/v1/orders/{some}", {"authorization": f"Bearer {token}"}, None),
    }


async def send_many(base: str, kind: tuple[str, str, dict[str, str], bytes | None], count: int, clients: int) -> None:
    method, path, headers, body = kind
    remaining = count

    async def one_client(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await client.request(method, path, headers=headers, content=body)
            if response.status_code != 200:
                raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:200]}")

    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=clients)) as client:
        await asyncio.gather(*(one_client(client) for _ in range(clients)))


async def measure(gateway: subprocess.Popen, base: str, args: argparse.Namespace, token: str) -> None:
    table = {name: kind for name, kind in kinds(token).items() if not args.only or name in args.only}
    results: dict[str, list[float]] = {name: [] for name in table}
    for number in range(1, args.rounds + 1):
        profiling = args.profile is not None and number == args.rounds
        for name, kind in table.items():
            await send_many(base, kind, args.warmup, args.clients)
            if profiling:
                gateway.send_signal(signal.SIGUSR1)
            before, started = cpu_seconds(gateway.pid), time.monotonic()
            await send_many(base, kind, args.requests, args.clients)
            cpu, wall = cpu_seconds(gateway.pid) - before, time.monotonic() - started
            if profiling:
                gateway.send_signal(signal.SIGUSR2)
                time.sleep(1.0)
            results[name].append(cpu / args.requests * 1e6)
            print(f"round {number}  {name:12} {cpu / args.requests * 1e6:7.0f} µs of gateway CPU per request "
                  f"({args.requests / wall:5.0f} requests/s)", flush=True)
    print()
    for name, figures in results.items():
        print(f"{name:12} {min(figures):5.0f}–{max(figures):5.0f} µs per request "
              f"(median {sorted(figures)[len(figures) // 2]:.0f}) over {args.rounds} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests of each kind per round")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", action="append", choices=list(kinds("")), help="measure only this kind (repeatable)")
    parser.add_argument("--profile", type=Path, default=None, help="write a profile of the last round here")
    args = parser.parse_args()
    from uuid import UUID

    from gateway.auth import mint
    from gateway.settings import DEV_SECRET

    token = mint(DEV_SECRET, account_id=UUID(int=3), user_id="bench@example.com", role="owner")
    upstream_port, gateway_port = free_port(), free_port()
    upstream, gateway = start(upstream_port, gateway_port, args.profile)
    try:
        asyncio.run(measure(gateway, f"http://127.0.0.1:{gateway_port}", args, token))
    finally:
        for process in (gateway, upstream):
            process.terminate()
        for process in (gateway, upstream):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
