"""The supervisor's rules, on real child processes: restart what dies, later each time, capped,
sooner again after a long life, and never once told to stop."""

import json
import os
import signal
import sys
import time
from pathlib import Path

from localstack.supervisor import Backoff, Process, Supervisor, describe_exit


def test_the_pause_doubles_with_each_quick_death_up_to_the_cap_and_a_long_life_resets_it() -> None:
    backoff = Backoff(first=0.5, cap=30, stable_after=60)
    assert [backoff.next_delay(uptime=1) for _ in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert backoff.next_delay(uptime=59) == 30
    assert backoff.next_delay(uptime=60) == 0.5
    assert backoff.next_delay(uptime=2) == 1


def test_an_exit_is_told_by_its_code_or_its_signal() -> None:
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL) == "signal SIGKILL"


def sleeper(tmp_path: Path) -> Process:
    return Process("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"], {}, tmp_path / "sleeper.log")


def until(check, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not true in time"
        time.sleep(0.05)


def test_a_killed_process_is_restarted_and_its_log_and_the_launcher_say_so(tmp_path: Path) -> None:
    said: list[str] = []
    child = sleeper(tmp_path)
    supervisor = Supervisor(said.append, tmp_path / "processes.json",
                            backoff=lambda: Backoff(first=0.2, cap=1, stable_after=60))
    child.start()
    supervisor.watch(child)
    first = child.pid()
    assert json.loads((tmp_path / "processes.json").read_text())["sleeper"] == {"pid": first, "restarts": 0}
    try:
        os.kill(first, signal.SIGKILL)
        until(lambda: (supervisor.tick(), child.pid() != first)[1])
        os.kill(child.pid(), signal.SIGKILL)
        second = child.pid()
        until(lambda: (supervisor.tick(), child.pid() != second)[1])
        assert child.ended() is None
    finally:
        child.stop()
    died = [line for line in said if "stopped" in line]
    assert died[0].startswith("sleeper stopped (signal SIGKILL) after ") and "restarting it in 0.2 s, at " in died[0]
    assert "restarting it in 0.4 s" in died[1]  # a second quick death waits twice as long
    assert any(line.startswith("sleeper restarted (pid ") and "restart 2)" in line for line in said)
    log = [json.loads(line) for line in (tmp_path / "sleeper.log").read_text().splitlines()]
    assert [entry["msg"] for entry in log] == said
    assert log[0]["level"] == "warning" and log[0]["service"] == "sleeper"
    assert json.loads((tmp_path / "processes.json").read_text())["sleeper"] == {"pid": child.pid(), "restarts": 2}


def test_nothing_is_restarted_once_the_stack_stops(tmp_path: Path) -> None:
    child = sleeper(tmp_path)
    supervisor = Supervisor(lambda _: None, backoff=lambda: Backoff(first=0.01))
    child.start()
    supervisor.watch(child)
    supervisor.stopping = True
    child.stop()
    for _ in range(5):
        supervisor.tick()
        time.sleep(0.02)
    assert child.ended() == "signal SIGTERM"
