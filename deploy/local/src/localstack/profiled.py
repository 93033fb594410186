"""Runs a service's module under cProfile, switched on and off from outside by signals.

    python -m localstack.profiled <report dir> <module> [args...]      # e.g. ... .local/profiles orders serve

The launcher starts a service this way when STACK_PROFILE names it; the process then runs
exactly as `python -m <module> [args...]` and profiles nothing until it gets SIGUSR1. SIGUSR2
stops the profile and writes it: `<name>-<UTC time>.pstats` (for `python -m pstats` or
snakeviz) and `.txt` beside it, the top 40 functions by cumulative time and the top 40 by own
time. The bench sends both at the edges of its measured window, so a profile holds the
purchases and neither the start nor the shutdown.

A process stopped while profiling writes its profile on the way out, and still ends as it
would have: uvicorn catches SIGTERM and SIGINT, shuts the service down, puts back the handlers
it found and raises the signal again, so the process ends by that signal and no exit hook
would run. The handlers it finds are ours: they write the profile, then do what was there
before (end by the signal, or raise KeyboardInterrupt for SIGINT).

cProfile sees the main thread only, which is where the services' event loop runs and nearly
all their CPU goes. Its clock here is that thread's CPU time, not the wall clock: on a shared
machine a process waits for a core, and a thread for the GIL, for long stretches that a wall
clock would charge to whatever function happened to be running. Reading that clock costs about
half a microsecond, twice per Python call, so a profiled process uses up to twice the CPU of a
plain one, and small functions called often weigh more in it than they do unprofiled.

cProfile does not see the cyclic garbage collector, which runs inside whatever call allocated
last; the report's title says how many collections of each generation ran while profiling and
the CPU they took (the same thread clock), from the interpreter's own gc callbacks.
"""

import atexit
import cProfile
import gc
import io
import os
import pstats
import runpy
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

START = signal.SIGUSR1
STOP = signal.SIGUSR2
TOP = 40
MARKER = "localstack.profiled"  # in the command line of a process that listens for START and STOP


def report_text(stats: pstats.Stats, title: str) -> str:
    out = io.StringIO()
    out.write(f"{title}\n\n")
    for order, label in (("cumulative", "by cumulative time"), ("tottime", "by own time")):
        out.write(f"=== top {TOP} {label} ===\n")
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(order).print_stats(TOP)
    return out.getvalue()


class Collections:
    """The cyclic collector's runs while it is on: how many of each generation, and their CPU."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = 0.0
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.thread_time()
        else:
            self.count[info["generation"]] += 1
            self.seconds += time.thread_time() - self._began

    def on(self) -> None:
        gc.callbacks.append(self)

    def off(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)

    def summary(self) -> str:
        young, middle, old = self.count
        return (f"the garbage collector ran {young} + {middle} + {old} times (generations 0, 1, 2) "
                f"for {self.seconds * 1000:.0f} ms of CPU")


class Switch:
    """The profile of one process: on at START, written at STOP or at exit."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name
        self.profile: cProfile.Profile | None = None
        self.started = 0.0
        self.cpu_started = 0.0
        self.collections = Collections()

    def start(self, *_: object) -> None:
        if self.profile is not None:
            return
        self.started, self.cpu_started = time.monotonic(), time.process_time()
        self.profile = cProfile.Profile(time.thread_time)
        self.collections = Collections()
        self.collections.on()
        self.profile.enable()

    def stop(self, *_: object) -> Path | None:
        profile, self.profile = self.profile, None
        if profile is None:
            return None
        profile.disable()
        self.collections.off()
        wall, cpu = time.monotonic() - self.started, time.process_time() - self.cpu_started
        self.directory.mkdir(parents=True, exist_ok=True)
        base = self.directory / f"{self.name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        profile.dump_stats(base.with_suffix(".pstats"))
        title = (f"{self.name} (pid {os.getpid()}): {wall:.1f} s profiled, {cpu:.2f} s of process CPU "
                 f"(profiler included); {self.collections.summary()}; times below are the main thread's CPU seconds; "
                 f"{base.with_suffix('.pstats').name} holds the whole profile")
        text = report_text(pstats.Stats(profile), title)
        # Written whole, then renamed: whoever waits for the .txt never reads half of it.
        partial = base.with_suffix(".txt.partial")
        partial.write_text(text)
        os.replace(partial, base.with_suffix(".txt"))
        return base.with_suffix(".txt")


def write_then_chain(switch: Switch, signum: int) -> None:
    """On `signum`, write the profile first, then what the signal did before."""
    before = signal.getsignal(signum)

    def handler(received: int, frame: object) -> None:
        switch.stop()
        if callable(before):
            before(received, frame)
        elif before != signal.SIG_IGN:
            signal.signal(received, signal.SIG_DFL)
            signal.raise_signal(received)

    signal.signal(signum, handler)


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit("usage: python -m localstack.profiled <report dir> <module> [args...]")
    directory, module, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    switch = Switch(directory, module)
    signal.signal(START, switch.start)
    signal.signal(STOP, switch.stop)
    for stopping in (signal.SIGTERM, signal.SIGINT):
        write_then_chain(switch, stopping)
    atexit.register(switch.stop)  # a process that returns, or exits, instead
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
