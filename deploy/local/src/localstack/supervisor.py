"""Keeps the local stack's processes running, as an orchestrator would.

A process that ends while the stack runs is started again after a pause: half a second after
the first death, doubling with each death that follows a short life, at most 30 s; one that
stayed up a minute is counted as healthy again and its next death waits half a second. A
crash loop therefore costs a line every 30 s, not a machine's worth of restarts, and a
service that dies once in a while comes back at once. Every death and every restart is said
on the launcher's output and written into the process's own log, with the exit code or the
signal and when the next start is due.
"""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

FIRST_DELAY = 0.5
MAX_DELAY = 30.0
# Up this long, a process counts as healthy again: its next death restarts it after FIRST_DELAY.
STABLE_AFTER = 60.0


@dataclass
class Backoff:
    """The pause before the next start: doubles with each quick death, capped, reset by a long life."""

    first: float = FIRST_DELAY
    cap: float = MAX_DELAY
    stable_after: float = STABLE_AFTER
    quick_deaths: int = 0

    def next_delay(self, uptime: float) -> float:
        if uptime >= self.stable_after:
            self.quick_deaths = 0
        delay = min(self.cap, self.first * 2 ** self.quick_deaths)
        self.quick_deaths += 1
        return delay


class Child(Protocol):
    """Something the supervisor keeps running: a service, the mailbox, the broker, PostgreSQL."""

    name: str
    log: Path | None  # where its deaths and restarts are noted beside its own output

    def start(self) -> None:
        """Start it and return once it serves; raise if it cannot."""

    def ended(self) -> str | None:
        """None while it runs; once it has ended, how ("exit code 1", "signal SIGKILL")."""

    def pid(self) -> int | None: ...

    def stop(self) -> None: ...


@dataclass
class Process:
    """A child process of the launcher, its output appended to its log."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path | None
    ready: Callable[[], bool] | None = None  # answers once it serves again after a restart
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        assert self.log is not None
        # Its own session: a Ctrl-C in the launcher's terminal reaches the launcher alone, which
        # then stops everything in order.
        with self.log.open("ab") as log:  # the child keeps its own copy; ours closes, restart after restart
            self.process = subprocess.Popen(self.argv, env={**os.environ, **self.env}, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def ended(self) -> str | None:
        if self.process is None or self.process.poll() is None:
            return None
        return describe_exit(self.process.returncode)

    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 15) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def stop(self) -> None:
        self.terminate()
        self.wait()


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class _Watched:
    child: Child
    backoff: Backoff
    started_at: float
    restart_at: float | None = None
    restarts: int = 0
    awaiting_ready: bool = False


class Supervisor:
    """Restarts what ends, until told to stop. `tick()` is called by the launcher's loop."""

    def __init__(self, say: Callable[[str], None], state_file: Path | None = None,
                 clock: Callable[[], float] = time.monotonic, backoff: Callable[[], Backoff] = Backoff) -> None:
        self._say = say
        self._state_file = state_file
        self._clock = clock
        self._backoff = backoff
        self._watched: dict[str, _Watched] = {}
        self.stopping = False

    def watch(self, child: Child) -> None:
        """Supervise a child that has just been started."""
        self._watched[child.name] = _Watched(child, self._backoff(), self._clock())
        self._write_state()

    def tick(self) -> None:
        for watched in list(self._watched.values()):
            if self.stopping:
                return
            self._tick_one(watched)

    def _tick_one(self, watched: _Watched) -> None:
        child, now = watched.child, self._clock()
        if watched.restart_at is None:
            how = child.ended()
            if how is None:
                if watched.awaiting_ready and _is_ready(child):
                    watched.awaiting_ready = False
                    self._note(child, f"{child.name} is ready again")
                return
            uptime = now - watched.started_at
            delay = watched.backoff.next_delay(uptime)
            watched.restart_at = now + delay
            self._note(child, f"{child.name} stopped ({how}) after {uptime:.1f} s up; "
                              f"restarting it in {delay:.1f} s, at {_wall_clock_in(delay)}", warning=True)
        elif now >= watched.restart_at:
            try:
                child.start()
            except Exception as exc:
                delay = watched.backoff.next_delay(0)
                watched.restart_at = self._clock() + delay
                self._note(child, f"{child.name} did not start again ({exc}); "
                                  f"next try in {delay:.1f} s, at {_wall_clock_in(delay)}", warning=True)
                return
            watched.restart_at = None
            watched.started_at = self._clock()
            watched.restarts += 1
            watched.awaiting_ready = getattr(child, "ready", None) is not None
            self._note(child, f"{child.name} restarted (pid {child.pid()}, restart {watched.restarts})")
            self._write_state()

    def _note(self, child: Child, text: str, *, warning: bool = False) -> None:
        self._say(text)
        if child.log is not None:
            entry = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                     "level": "warning" if warning else "info", "service": child.name,
                     "logger": "localstack.supervisor", "msg": text}
            with child.log.open("a") as log:
                log.write(json.dumps(entry) + "\n")

    def _write_state(self) -> None:
        """Who runs under which pid now: for a person (or a test) who wants to signal one."""
        if self._state_file is None:
            return
        state = {name: {"pid": w.child.pid(), "restarts": w.restarts} for name, w in self._watched.items()}
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self._state_file)


def _is_ready(child: Child) -> bool:
    ready = getattr(child, "ready", None)
    try:
        return bool(ready()) if ready else True
    except Exception:
        return False


def _wall_clock_in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%H:%M:%S UTC")
