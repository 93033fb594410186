"""Reading the stack's processor time from /proc, and what it comes to per purchase."""

from pathlib import Path

import pytest

from localstack import cpu

# Field 4 is the parent, 14 and 15 the user and system ticks, 16 and 17 those of ended children (proc(5)).
STAT = "{pid} ({comm}) S {ppid} 1 1 0 -1 4194560 100 0 0 0 {utime} {stime} {cutime} {cstime} 20 0 4 0 1000 1 1 1\n"


def stat(pid: int, ppid: int, utime: int, stime: int, comm: str = "python", cutime: int = 0, cstime: int = 0) -> str:
    return STAT.format(pid=pid, comm=comm, ppid=ppid, utime=utime, stime=stime, cutime=cutime, cstime=cstime)


def fake_proc(root: Path, *lines: str) -> Path:
    for line in lines:
        folder = root / line.split()[0]
        folder.mkdir(parents=True)
        (folder / "stat").write_text(line)
    (root / "self").mkdir()  # not a process: skipped
    return root


def test_user_and_system_ticks_are_summed_and_the_parent_read() -> None:
    assert cpu.parse_stat(stat(42, 7, utime=120, stime=30, cutime=4, cstime=1)) == cpu.ProcStat(
        pid=42, ppid=7, ticks=150, children_ticks=5)


def test_a_command_name_with_spaces_and_parentheses_does_not_shift_the_fields() -> None:
    parsed = cpu.parse_stat(stat(9, 1, utime=5, stime=6, comm="postgres: bench (1) idle"))
    assert parsed == cpu.ProcStat(pid=9, ppid=1, ticks=11)


def test_postgresql_is_its_postmaster_and_every_process_it_started(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, stat(100, 1, 10, 5, cutime=40, cstime=2), stat(101, 100, 7, 3),
                     stat(102, 100, 1, 1), stat(103, 101, 50, 50), stat(200, 1, 30, 0, cutime=9))
    ticks = cpu.sample({cpu.POSTGRES: 100, "orders": 200, "gone": 999}, proc)
    # Backends that ended are in the postmaster's cutime and cstime; the grandchild 103 is not
    # PostgreSQL's: only the postmaster's own children are. A service is its own time alone.
    assert ticks == {cpu.POSTGRES: 15 + 42 + 10 + 2, "orders": 30, "gone": None}


def test_a_backend_that_ends_keeps_its_time_in_the_postgresql_sum(tmp_path: Path) -> None:
    before = cpu.sample({cpu.POSTGRES: 100}, fake_proc(tmp_path / "a", stat(100, 1, 10, 0), stat(101, 100, 30, 0)))
    # 101 worked 5 more ticks, ended and was reaped: its 35 now count as the postmaster's children's.
    after = cpu.sample({cpu.POSTGRES: 100}, fake_proc(tmp_path / "b", stat(100, 1, 12, 0, cutime=35)))
    assert cpu.seconds_used(before, after, clock_ticks=100) == {cpu.POSTGRES: pytest.approx(0.07)}


def test_seconds_come_from_clock_ticks_and_a_replaced_or_gone_process_has_none() -> None:
    before = {"orders": 100, "offers": 500, "mailbox": None, "gateway": 10}
    after = {"orders": 350, "offers": 20, "mailbox": 40, "gateway": None}
    assert cpu.seconds_used(before, after, clock_ticks=100) == {
        "orders": 2.5, "offers": None, "mailbox": None, "gateway": None}


def test_milliseconds_per_purchase() -> None:
    assert cpu.ms_per_purchase(3.0, 200) == pytest.approx(15.0)
    assert cpu.ms_per_purchase(None, 200) is None
    assert cpu.ms_per_purchase(3.0, 0) is None


def test_the_stack_pids_come_from_the_supervisors_list_and_the_bench_adds_itself(tmp_path: Path) -> None:
    listed = tmp_path / "processes.json"
    listed.write_text('{"PostgreSQL": {"pid": 11, "restarts": 0}, "orders": {"pid": 12, "restarts": 1},'
                      ' "mailbox": {"pid": null, "restarts": 0}}')
    assert cpu.stack_pids(listed, own_pid=99) == {"PostgreSQL": 11, "orders": 12, cpu.LOAD_GENERATOR: 99}
    assert cpu.stack_pids(tmp_path / "absent.json", own_pid=99) == {cpu.LOAD_GENERATOR: 99}


def test_the_table_lists_each_process_per_purchase_and_the_total() -> None:
    window = {"gateway": 2.0, "orders": 4.0, cpu.POSTGRES: 1.0, "mailbox": None}
    idle = {"gateway": 0.03, "orders": 0.06, cpu.POSTGRES: 0.0, "mailbox": 0.0}
    lines = cpu.table(window, completed=200, window_seconds=20.0, idle=idle, idle_seconds=3.0,
                      marks={"orders": " (profiled)"})
    rows = {line.split("  ")[1].strip(): line.split()[-5:] for line in lines[1:]}
    # Listed in the stack's order, services first; a process gone at either end is a dash.
    assert [line.split("  ")[1].strip() for line in lines[1:]] == [
        "orders (profiled)", "gateway", "PostgreSQL", "mailbox", "total"]
    # Net: orders idles at 20 ms/s, 0.4 s over the 20 s window, so (4.0 - 0.4) s over 200 purchases.
    assert rows["orders (profiled)"] == ["4.00", "20.0", "20.0", "20.0", "18.0"]
    assert rows["gateway"] == ["2.00", "10.0", "10.0", "10.0", "9.0"]
    assert rows["mailbox"] == ["—", "—", "—", "0.0", "—"]
    assert len({len(line) for line in lines}) == 1  # a dash takes its column's width
    assert rows["total"] == ["7.00", "35.0", "35.0", "30.0", "32.0"]


def test_what_a_process_uses_idle_is_taken_off_for_as_long_as_the_window() -> None:
    assert cpu.net_of_idle(10.0, idle=0.5, idle_seconds=5, window_seconds=30) == pytest.approx(7.0)
    assert cpu.net_of_idle(10.0, idle=None, idle_seconds=5, window_seconds=30) is None
    assert cpu.net_of_idle(10.0, idle=0.5, idle_seconds=0, window_seconds=30) is None
