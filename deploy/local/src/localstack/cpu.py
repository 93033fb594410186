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


def service_of(process: str) -> str:
    """`orders-2` is a replica of orders (STACK_REPLICAS); any other name is its own."""
    head, _, tail = process.rpartition("-")
    return head if head in ORDER and tail.isdigit() else process


def _replica_number(process: str) -> int:
    _, _, tail = process.rpartition("-")
    return int(tail) if service_of(process) != process else 1


def total(seconds: Mapping[str, float | None]) -> float:
    return sum(s for s in seconds.values() if s is not None)


def table(window: Mapping[str, float | None], completed: int, window_seconds: float,
          idle: Mapping[str, float | None] | None = None, idle_seconds: float = 0.0,
          marks: Mapping[str, str] | None = None) -> list[str]:
    """The lines the bench prints: CPU seconds in the window, ms per completed purchase, and,
    when an idle stretch was sampled first, what each process uses per second doing nothing and
    the ms per purchase left once that is taken off (noisy: a clock tick is 10 ms). A service run
    as several replicas (`orders`, `orders-2`...) has a row for each, then one for their sum."""
    idle = idle or {}
    marks = marks or {}

    def cell(value: float | None, fmt: str) -> str:
        return format("—", f">{fmt.split('.')[0]}") if value is None else format(value, fmt)

    def row(label: str, seconds: float | None, idle_used: float | None) -> str:
        share = None if seconds is None or window_seconds <= 0 else seconds / window_seconds * 100
        rate = None if idle_used is None or idle_seconds <= 0 else idle_used * 1000 / idle_seconds
        net = ms_per_purchase(net_of_idle(seconds, idle_used, idle_seconds, window_seconds), completed)
        return (f"  {label:30s} {cell(seconds, '8.2f')} {cell(ms_per_purchase(seconds, completed), '12.1f')} "
                f"{cell(share, '12.1f')} {cell(rate, '10.1f')} {cell(net, '16.1f')}")

    def summed(values: list[float | None]) -> float | None:
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    groups = [sorted((n for n in window if service_of(n) == name), key=_replica_number) for name in ORDER]
    groups = [g for g in groups if g]
    listed = {n for g in groups for n in g}
    groups += [[n] for n in sorted(window) if n not in listed]
    lines = [f"  {'process':30s} {'CPU s':>8s} {'ms/purchase':>12s} {'% of a core':>12s} {'idle ms/s':>10s} "
             f"{'net ms/purchase':>16s}"]
    for group in groups:
        for name in group:
            lines.append(row(name + marks.get(name, ''), window[name], idle.get(name)))
        if len(group) > 1:
            lines.append(row(f"{service_of(group[0])}, {len(group)} replicas", summed([window[n] for n in group]),
                             summed([idle.get(n) for n in group]) if idle else None))
    idle_total = total(idle) if idle else None
    lines.append(row("total", total(window), idle_total))
    return lines
