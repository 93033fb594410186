"""Purchases while parts of a local stack are killed with SIGKILL, each started again by its supervisor.

    python -m localstack.chaos [--purchases 100] [--kills 30] [--rate 1] [--targets ...] [--seed N] [--state F]

Visitors open the demo offer, wait for their payment link and pay on the sandbox page, as the
bench does, but a killer meanwhile kills one part of the stack after another at random moments
(a service, the gateway, the broker), and the stack's supervisor starts it again. Each visitor
retries what failed as a browser would: the open with the same Idempotency-Key, the payment
with the same provider event. At the end every purchase is counted from outside, through the
CRM API and the mailbox: one order, paid its total, one payment, and each of its three emails
(payment link, receipt, access) exactly once. Anything else is printed and fails the run.

It starts a stack of its own (`--state .local/stack.json` uses the one `make run` started). The
same driver runs in the test suite with few purchases and kills; `make chaos` runs more.
"""

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from .launch import launched_stack, stack_environment

# What the supervisor calls each part in processes.json, by the name the killer is given.
TARGETS = {"offers": "offers", "orders": "orders", "payments": "payments", "notifications": "notifications",
           "gateway": "gateway", "broker": "the broker"}
SERVICES = ("offers", "orders", "payments", "notifications")
EMAILS_PER_PURCHASE = 3  # the payment link, the receipt, the access email


@dataclass
class Purchase:
    email: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex)  # the open's Idempotency-Key
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # the provider's event of the payment
    order_number: str = ""
    retries: int = 0
    error: str | None = None


@dataclass
class Kill:
    target: str
    at: float  # seconds since the run began
    back_after: float | None = None  # seconds until it was started again and ready


@dataclass
class Outcome:
    purchases: list[Purchase]
    kills: list[Kill]
    emails: int
    problems: dict[str, list[str]]  # by buyer: what is wrong with their purchase
    seconds: float

    def summary(self) -> str:
        by_target = collections.Counter(k.target for k in self.kills)
        back = sorted(k.back_after for k in self.kills if k.back_after is not None)
        lines = [
            f"purchases: {len(self.purchases)}, completed exactly once: "
            f"{len(self.purchases) - len(self.problems)}, in {self.seconds:.0f} s",
            f"kills: {len(self.kills)} ({', '.join(f'{t} {n}' for t, n in sorted(by_target.items()))})"
            + (f"; back and ready after {back[len(back) // 2]:.1f} s p50, {back[-1]:.1f} s max" if back else ""),
            f"emails to the buyers: {self.emails} for {len(self.purchases) * EMAILS_PER_PURCHASE} expected",
            f"visitor retries (a request that failed during a kill, tried again): "
            f"{sum(p.retries for p in self.purchases)}",
            f"purchases with a problem: {len(self.problems)}",
        ]
        return "\n".join(lines + [f"  {email}: {'; '.join(what)}" for email, what in list(self.problems.items())[:20]])


class Stack:
    """The running stack as `make run` describes it in its state file (stack.json)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        # The supervisor writes each part's pid and restarts beside the logs.
        self.processes = Path(state["logs"]).parent / "processes.json"

    def pids(self) -> dict[str, dict[str, int]]:
        return json.loads(self.processes.read_text())

    def ready_urls(self, target: str) -> list[str]:
        if target == "gateway":
            return [self.state["gateway"]]
        if target == "broker":  # every service must have met the broker again, and the gateway
            return [*self.state["services"].values(), self.state["gateway"]]
        return [self.state["services"][target]]


async def _ready(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(f"{url}/ready", timeout=3)).status_code == 200
    except httpx.HTTPError:
        return False


async def kill_and_wait(stack: Stack, target: str, client: httpx.AsyncClient, timeout: float = 120) -> float:
    """SIGKILL one part; returns the seconds until the supervisor has it back and it is ready."""
    name = TARGETS[target]
    before = stack.pids()[name]
    os.kill(before["pid"], signal.SIGKILL)
    killed = time.monotonic()
    deadline = killed + timeout
    while stack.pids()[name]["restarts"] <= before["restarts"]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{target} was not started again within {timeout:.0f} s")
        await asyncio.sleep(0.1)
    for url in stack.ready_urls(target):
        while not await _ready(client, url):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} not ready within {timeout:.0f} s of killing {target}")
            await asyncio.sleep(0.2)
    return time.monotonic() - killed


async def _until_ok(p: Purchase, deadline: float, send: Any, accept: tuple[int, ...]) -> httpx.Response:
    """Send until answered with one of `accept`; a refused connection, a timeout or a 5xx is a kill."""
    while True:
        try:
            answer = await send()
            if answer.status_code in accept:
                return answer
            if answer.status_code < 500 and answer.status_code != 429:
                raise AssertionError(f"{answer.status_code} {answer.text[:300]}")
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the stack did not answer in time")
        p.retries += 1
        await asyncio.sleep(0.5)


async def purchase(client: httpx.AsyncClient, state: dict[str, Any], p: Purchase, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    try:
        opened = await _until_ok(p, deadline, lambda: client.post(
            f"/public/v1/offers/{state['offer_id']}/checkouts", headers={"Idempotency-Key": p.key},
            json={"name": "Chaos Buyer", "email": p.email}), (202,))
        status_url = opened.json()["status_url"]
        while True:
            status = (await _until_ok(p, deadline, lambda: client.get(status_url, params={"wait": 8}), (200,))).json()
            if status["status"] == "ready":
                break
            if time.monotonic() > deadline:
                raise TimeoutError("no payment link")
        p.order_number = str(status["order_number"])
        form = {"event_id": p.event_id, "amount": state["offer_total"], "currency": state["offer_currency"]}
        await _until_ok(p, deadline, lambda: client.post(f"{status['payment_url']}/succeed", data=form), (200,))
    except Exception as exc:  # counted as a problem at the end, with the others
        p.error = f"{type(exc).__name__}: {exc}"


class Killer:
    """Kills `kills` times, every target in turn in a shuffled order, each at a random moment; a
    part is killed again only once it is back. Kills overlap: a service may die while another is
    still starting."""

    def __init__(self, stack: Stack, targets: list[str], kills: int, rng: random.Random, started: float,
                 gap: tuple[float, float]) -> None:
        self.stack, self.targets, self.kills, self.rng = stack, targets, kills, rng
        self.started, self.gap = started, gap
        self.done: list[Kill] = []
        self.all_launched = asyncio.Event()
        self._back: dict[str, asyncio.Task[None]] = {}

    async def run(self, purchasing: asyncio.Event) -> list[Kill]:
        order: list[str] = []
        try:
            async with httpx.AsyncClient() as client:
                while len(self.done) < self.kills and purchasing.is_set():
                    if not order:
                        order = self.rng.sample(self.targets, len(self.targets))
                    await asyncio.sleep(self.rng.uniform(*self.gap))
                    target = order.pop()
                    if (recovering := self._back.get(target)) is not None:
                        await recovering
                    if not purchasing.is_set():
                        break
                    kill = Kill(target, round(time.monotonic() - self.started, 1))
                    self.done.append(kill)
                    self._back[target] = asyncio.create_task(self._kill(kill, client))
                self.all_launched.set()
                await asyncio.gather(*self._back.values())
        finally:
            self.all_launched.set()
        return self.done

    async def _kill(self, kill: Kill, client: httpx.AsyncClient) -> None:
        kill.back_after = round(await kill_and_wait(self.stack, kill.target, client), 1)


async def count(stack: Stack, purchases: list[Purchase]) -> tuple[dict[str, list[str]], int]:
    """What is wrong with each purchase, counted from outside; and the emails the buyers got."""
    state = stack.state
    problems: dict[str, list[str]] = collections.defaultdict(list)
    headers = {"Authorization": f"Bearer {state['token']}"}
    async with httpx.AsyncClient(base_url=state["gateway"], headers=headers, timeout=20) as crm:
        async with httpx.AsyncClient(base_url=state["mailbox"], timeout=20) as mailbox:
            messages = (await mailbox.get("/api/messages")).json()
        sent: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for message in messages:
            for address in message["to"]:
                sent[address.lower()].append(message)
        for p in purchases:
            wrong = problems[p.email]
            if p.error:
                wrong.append(p.error)
                continue
            found = (await crm.get("/api/v1/orders", params={"q": p.email})).json()["items"]
            if len(found) != 1:
                wrong.append(f"{len(found)} orders")
                continue
            order = found[0]
            if order["payment_status"] != "paid" or Decimal(order["paid"]) != Decimal(order["total"]):
                wrong.append(f"order {order['number']} {order['payment_status']},"
                             f" paid {order['paid']} of {order['total']}")
            payments = (await crm.get(f"/api/v1/orders/{order['id']}/payments")).json()["items"]
            if len(payments) != 1:
                wrong.append(f"{len(payments)} payments")
            subjects = [m["subject"] for m in sent.get(p.email.lower(), [])]
            if len(subjects) != EMAILS_PER_PURCHASE or len(set(subjects)) != EMAILS_PER_PURCHASE:
                wrong.append(f"emails {subjects}")
    emails = sum(len(sent.get(p.email.lower(), [])) for p in purchases)
    return {email: wrong for email, wrong in problems.items() if wrong}, emails


async def complete(stack: Stack, purchases: list[Purchase], timeout: float,
                   settle: float) -> tuple[dict[str, list[str]], int]:
    """Counts until nothing is missing (or time is up), then once more after `settle`: a late repeat shows then."""
    deadline = time.monotonic() + timeout
    while True:
        problems, emails = await count(stack, purchases)
        if not problems or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    if not problems:
        await asyncio.sleep(settle)
        problems, emails = await count(stack, purchases)
    return problems, emails


async def run(stack: Stack, purchases: int, kills: int, rate: float, targets: list[str], seed: int,
              gap: tuple[float, float] = (0.5, 3.0), purchase_timeout: float = 180, settle: float = 5) -> Outcome:
    """At least `purchases`, opened at `rate` until every kill has been made, so each kill falls
    among purchases in flight."""
    started = time.monotonic()
    killer = Killer(stack, targets, kills, random.Random(seed), started, gap)
    purchasing = asyncio.Event()
    purchasing.set()
    kills_task = asyncio.create_task(killer.run(purchasing))
    tag = uuid.uuid4().hex[:6]
    bought: list[Purchase] = []
    async with httpx.AsyncClient(base_url=stack.state["gateway"], timeout=15) as client:
        flows = []
        while len(bought) < purchases or not killer.all_launched.is_set():
            await asyncio.sleep(max(0.0, started + len(bought) / rate - time.monotonic()))
            bought.append(Purchase(email=f"chaos-{tag}-{len(bought)}@example.com"))
            flows.append(asyncio.create_task(purchase(client, stack.state, bought[-1], purchase_timeout)))
        await asyncio.gather(*flows)
    purchasing.clear()  # no kill after the last purchase has paid: what is left is the stack's own work
    done_kills = await kills_task
    problems, emails = await complete(stack, bought, timeout=120, settle=settle)
    return Outcome(bought, done_kills, emails, problems, time.monotonic() - started)


@contextlib.contextmanager
def _stack(state_file: str | None) -> Iterator[Stack]:
    if state_file:
        yield Stack(json.loads(Path(state_file).read_text()))
        return
    with tempfile.TemporaryDirectory(prefix="orders-crm-chaos-") as folder:
        print("starting a stack of its own ...", flush=True)
        with launched_stack(Path(folder), stack_environment(Path(folder))) as launched:
            yield Stack(launched.state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--purchases", type=int, default=100, help="at least this many, more while kills go on")
    parser.add_argument("--kills", type=int, default=30, help="kills while purchases run")
    parser.add_argument("--rate", type=float, default=1.0, help="purchases opened per second")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"which parts to kill, of {', '.join(TARGETS)}")
    parser.add_argument("--seed", type=int, default=None, help="the same seed kills in the same order")
    parser.add_argument("--state", default=None,
                        help="the stack.json of a running `make run` to use; without it, a stack of its own is started")
    args = parser.parse_args()
    if args.state and not Path(args.state).exists():
        raise SystemExit(f"{args.state} not found: start the stack with `make run` first")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if unknown := set(targets) - set(TARGETS):
        raise SystemExit(f"unknown targets: {', '.join(sorted(unknown))}")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"{args.purchases} purchases at {args.rate}/s, up to {args.kills} kills of {', '.join(targets)}"
          f" (seed {seed}) ...", flush=True)
    with _stack(args.state) as stack:
        outcome = asyncio.run(run(stack, args.purchases, args.kills, args.rate, targets, seed))
    print(outcome.summary())
    sys.exit(1 if outcome.problems else 0)


if __name__ == "__main__":
    main()
