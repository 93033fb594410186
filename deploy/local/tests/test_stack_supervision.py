"""`make run` supervises: a part of the stack killed with SIGKILL comes back while the others keep
running, and only the launcher's own stop (SIGTERM, Ctrl-C) stops everything, in order."""

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from localstack.launch import LaunchedStack, launched_stack, stack_environment
from localstack.ports import port_is_free

pytestmark = pytest.mark.e2e

SERVED = ("offers", "orders", "payments", "notifications", "gateway")


def eventually(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        if result := check():
            return result
        assert time.monotonic() < deadline, f"not true after {timeout} s: {what or check}"
        time.sleep(0.2)


def pids(stack: LaunchedStack) -> dict[str, dict[str, int]]:
    return json.loads((stack.data / "processes.json").read_text())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return state != "Z"


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def urls(stack: LaunchedStack) -> dict[str, str]:
    return {**stack.state["services"], "gateway": stack.state["gateway"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[LaunchedStack]:
    data = tmp_path_factory.mktemp("supervised")
    with launched_stack(data, stack_environment(data)) as launched:
        yield launched


def test_a_killed_service_is_restarted_and_answers_ready_while_the_others_keep_running(stack) -> None:
    before = pids(stack)
    assert set(SERVED) | {"PostgreSQL", "the broker", "mailbox"} <= set(before)
    os.kill(before["orders"]["pid"], signal.SIGKILL)

    eventually(lambda: pids(stack)["orders"]["restarts"] == before["orders"]["restarts"] + 1, what="a restart")
    after = pids(stack)
    assert after["orders"]["pid"] != before["orders"]["pid"]
    eventually(lambda: ready(urls(stack)["orders"]), what="orders ready again")
    # Nothing else was touched: the same processes, still serving.
    for name, entry in before.items():
        if name != "orders":
            assert after[name] == entry, name
            assert alive(entry["pid"]), name
    assert all(ready(url) for url in urls(stack).values())
    crm = httpx.get(f"{stack.state['gateway']}/api/v1/orders",
                    headers={"Authorization": f"Bearer {stack.state['token']}"}, timeout=10)
    assert crm.status_code == 200

    output = stack.output
    assert "orders stopped (signal SIGKILL) after " in output and "restarting it in 0.5 s, at " in output
    assert f"orders restarted (pid {after['orders']['pid']}, restart 1)" in output
    eventually(lambda: "orders is ready again" in stack.output, what="the launcher says orders is ready")
    log = (stack.data / "logs" / "orders.log").read_text()
    assert "orders stopped (signal SIGKILL)" in log and "orders restarted" in log


def test_a_killed_postgresql_is_restarted_on_its_data_and_the_services_get_ready_again(stack) -> None:
    before = pids(stack)
    os.kill(before["PostgreSQL"]["pid"], signal.SIGKILL)
    eventually(lambda: pids(stack)["PostgreSQL"]["restarts"] == before["PostgreSQL"]["restarts"] + 1,
               timeout=120, what="PostgreSQL restarted")
    assert "PostgreSQL stopped (its server process is gone)" in stack.output
    for name, url in urls(stack).items():
        eventually(lambda url=url: ready(url), timeout=60, what=f"{name} ready again")
    # On its data: the demo school's offer is still there.
    offer = httpx.get(f"{stack.state['gateway']}/api/v1/offers/{stack.state['offer_id']}",
                      headers={"Authorization": f"Bearer {stack.state['token']}"}, timeout=10)
    assert offer.status_code == 200
    assert all(pids(stack)[name] == before[name] for name in SERVED)


def test_a_killed_broker_is_restarted_with_every_topic(stack) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from contracts import ALL_TOPICS, dlq_topic

    before = pids(stack)
    os.kill(before["the broker"]["pid"], signal.SIGKILL)
    eventually(lambda: pids(stack)["the broker"]["restarts"] == before["the broker"]["restarts"] + 1,
               what="the broker restarted")

    async def topics() -> set[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.state["kafka"])
        await admin.start()
        try:
            return set(await admin.list_topics())
        finally:
            await admin.close()

    assert {*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)} <= asyncio.run(topics())
    assert "the broker stopped (signal SIGKILL)" in stack.output
    assert all(alive(pids(stack)[name]["pid"]) for name in SERVED)


def test_the_launchers_stop_stops_everything_services_first_and_restarts_nothing(tmp_path) -> None:
    with launched_stack(tmp_path, stack_environment(tmp_path)) as stack:
        running = pids(stack)
        ports = [int(url.rsplit(":", 1)[1]) for url in urls(stack).values()]
        # A service dies just before the stop: the stop must not bring it back.
        os.kill(running["payments"]["pid"], signal.SIGKILL)
        stack.process.send_signal(signal.SIGTERM)
        assert stack.process.wait(90) == 0
        output = stack.output
    assert all(not alive(entry["pid"]) for entry in running.values()), output
    assert all(port_is_free("127.0.0.1", port) for port in ports)
    assert "payments restarted" not in output
    stopped = [line.split("stopped ", 1)[1] for line in output.splitlines() if "] " in line and " stopped " in line
               and "(" not in line]
    assert stopped[:5] == ["gateway", "notifications", "payments", "orders", "offers"]
    assert stopped[5:] == ["mailbox", "the broker", "PostgreSQL"], output
