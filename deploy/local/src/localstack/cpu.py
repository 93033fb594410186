"""Processor time of the local stack's processes, read from /proc, and what it comes to per purchase.

The bench reads every process's user and system time at the start and at the end of its
measured window: a service, the gateway, the broker and the mailbox are one process each
(threads included); PostgreSQL is its postmaster and every process whose parent it is (the
backends, the checkpointer, the WAL writer...). A backend that ends inside the window is not
lost: once the postmaster has reaped it, its time is in the postmaster's own count of its
children's time (cutime and cstime), which is added too.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The process whose children are summed with it.
POSTGRES = "PostgreSQL"
LOAD_GENERATOR = "load generator (this bench)"
# In the order the table lists them; a name absent from the stack (an external PostgreSQL) is left out.
ORDER = ("offers", "orders", "payments", "notifications", "gateway", POSTGRES, "the broker", "mailbox",
         LOAD_GENERATOR)


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    ticks: int  # utime + stime, in clock ticks
    children_ticks: int = 0  # cutime + cstime: of its children that ended and were waited for


def parse_stat(text: str) -> ProcStat:
    """One /proc/<pid>/stat line. The command name is in parentheses and may itself hold spaces or
    parentheses, so the fields are counted from the last ')'."""
    pid = int(text[: text.index("(")])
    fields = text[text.rindex(")") + 1:].split()
    # fields[0] is the state (field 3 of proc(5)); ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    return ProcStat(pid=pid, ppid=int(fields[1]), ticks=int(fields[11]) + int(fields[12]),
                    children_ticks=int(fields[13]) + int(fields[14]))


def read_stat(pid: int, proc: Path = PROC) -> ProcStat | None:
    try:
        return parse_stat((proc / str(pid) / "stat").read_text())
    except (OSError, ValueError, IndexError):  # gone, or gone while we read it
        return None


def all_stats(proc: Path = PROC) -> list[ProcStat]:
    stats = []
    for entry in proc.iterdir():
        if entry.name.isdigit() and (stat := read_stat(int(entry.name), proc)) is not None:
            stats.append(stat)
    return stats


def ticks_of(name: str, pid: int, stats: Mapping[int, ProcStat]) -> int | None:
    """A process's ticks; PostgreSQL's with those of every process whose parent is its postmaster,
    running or ended, so that the sum never goes down while the server runs."""
    own = stats.get(pid)
    if own is None:
        return None
    if name != POSTGRES:
        return own.ticks
    return own.ticks + own.children_ticks + sum(s.ticks for s in stats.values() if s.ppid == pid)


def stack_pids(processes_file: Path, own_pid: int | None = None) -> dict[str, int]:
    """The stack's processes by name, as its supervisor last wrote them (processes.json beside
    stack.json), and the load generator's own process."""
    listed = json.loads(processes_file.read_text()) if processes_file.exists() else {}
    pids = {name: entry["pid"] for name, entry in listed.items() if entry.get("pid")}
    pids[LOAD_GENERATOR] = own_pid if own_pid is not None else os.getpid()
    return pids


def sample(pids: Mapping[str, int], proc: Path = PROC) -> dict[str, int | None]:
    """Ticks of each named process now (None for one that is gone)."""
    stats = {s.pid: s for s in all_stats(proc)}
    return {name: ticks_of(name, pid, stats) for name, pid in pids.items()}


def seconds_used(before: Mapping[str, int | None], after: Mapping[str, int | None],
                 clock_ticks: int = CLOCK_TICKS) -> dict[str, float | None]:
    """CPU seconds each process used between two samples; None where it was gone at either end or
    was replaced by a new process (its count went down)."""
    used: dict[str, float | None] = {}
    for name, start in before.items():
        end = after.get(name)
        used[name] = None if start is None or end is None or end < start else (end - start) / clock_ticks
    return used


def ms_per_purchase(seconds: float | None, completed: int) -> float | None:
    if seconds is None or completed <= 0:
        return None
    return seconds * 1000 / completed


def net_of_idle(seconds: float | None, idle: float | None, idle_seconds: float,
                window_seconds: float) -> float | None:
    """The window's CPU less what the process would have used idle over as long: the broker's
    consumers' polls, the relays' and the workers' rounds go on whether purchases come or not."""
    if seconds is None or idle is None or idle_seconds <= 0:
        return None
    return seconds - idle / idle_seconds * window_seconds


def total(seconds: Mapping[str, float | None]) -> float:
    return sum(s for s in seconds.values() if s is not None)


def table(window: Mapping[str, float | None], completed: int, window_seconds: float,
          idle: Mapping[str, float | None] | None = None, idle_seconds: float = 0.0,
          marks: Mapping[str, str] | None = None) -> list[str]:
    """The lines the bench prints: CPU seconds in the window, ms per completed purchase, and,
    when an idle stretch was sampled first, what each process uses per second doing nothing and
    the ms per purchase left once that is taken off (noisy: a clock tick is 10 ms)."""
    idle = idle or {}
    marks = marks or {}
    names = [n for n in ORDER if n in window] + sorted(n for n in window if n not in ORDER)

    def cell(value: float | None, fmt: str) -> str:
        return format("—", f">{fmt.split('.')[0]}") if value is None else format(value, fmt)

    def idle_rate(name: str) -> float | None:
        value = idle.get(name)
        return None if value is None or idle_seconds <= 0 else value * 1000 / idle_seconds

    def net(seconds: float | None, idle_used: float | None) -> float | None:
        return ms_per_purchase(net_of_idle(seconds, idle_used, idle_seconds, window_seconds), completed)

    lines = [f"  {'process':30s} {'CPU s':>8s} {'ms/purchase':>12s} {'% of a core':>12s} {'idle ms/s':>10s} "
             f"{'net ms/purchase':>16s}"]
    for name in names:
        share = None if window[name] is None or window_seconds <= 0 else window[name] / window_seconds * 100
        lines.append(f"  {name + marks.get(name, ''):30s} {cell(window[name], '8.2f')} "
                     f"{cell(ms_per_purchase(window[name], completed), '12.1f')} {cell(share, '12.1f')} "
                     f"{cell(idle_rate(name), '10.1f')} {cell(net(window[name], idle.get(name)), '16.1f')}")
    all_seconds = total(window)
    idle_total = total(idle) if idle else None
    lines.append(f"  {'total':30s} {all_seconds:8.2f} {cell(ms_per_purchase(all_seconds, completed), '12.1f')} "
                 f"{cell(all_seconds / window_seconds * 100 if window_seconds > 0 else None, '12.1f')} "
                 f"{cell(None if idle_total is None or idle_seconds <= 0 else idle_total * 1000 / idle_seconds, '10.1f')} "
                 f"{cell(net(all_seconds, idle_total), '16.1f')}")
    return lines
