"""The profiler switch of a service process: which processes it applies to, and what it writes."""

import os
import pstats
import sys
from pathlib import Path

import pytest

from localstack.bench import profiled_pid
from localstack.config import PROFILABLE, StackConfig, profiled_names
from localstack.profiled import Switch
from localstack.stack import Stack


def test_stack_profile_names_services_or_all_and_refuses_anything_else() -> None:
    assert profiled_names("") == frozenset()
    assert profiled_names(" orders, gateway ") == {"orders", "gateway"}
    assert profiled_names("all") == set(PROFILABLE)
    with pytest.raises(ValueError, match="mailbox"):
        profiled_names("orders,mailbox")


def busy() -> int:
    return sum(i * i for i in range(20_000))


def test_a_profile_is_written_with_both_orders_and_its_stats_kept(tmp_path: Path) -> None:
    switch = Switch(tmp_path / "profiles", "orders")
    assert switch.stop() is None  # never started: nothing to write
    switch.start()
    busy()
    report = switch.stop()
    assert report is not None and report.parent == tmp_path / "profiles" and report.name.startswith("orders-")
    text = report.read_text()
    assert "top 40 by cumulative time" in text and "top 40 by own time" in text and "busy" in text
    stats = pstats.Stats(str(report.with_suffix(".pstats")))
    assert any(name == "busy" for (_, _, name) in stats.stats)  # type: ignore[attr-defined]
    assert not list((tmp_path / "profiles").glob("*.partial"))
    assert switch.stop() is None  # written once


def test_only_the_named_services_are_started_under_the_switch(tmp_path: Path) -> None:
    stack = Stack(StackConfig(data_dir=tmp_path, profile=frozenset({"orders"})))
    assert stack.service_argv("orders") == [sys.executable, "-m", "localstack.profiled",
                                            str(tmp_path.resolve() / "profiles"), "orders", "serve"]
    assert stack.service_argv("offers") == [sys.executable, "-m", "offers", "serve"]


def test_the_bench_signals_only_a_process_started_under_the_switch(tmp_path: Path) -> None:
    processes = tmp_path / "processes.json"
    # This test's own process is not under the switch: SIGUSR1 would end it, so it is refused.
    processes.write_text(f'{{"orders": {{"pid": {os.getpid()}, "restarts": 0}}}}')
    with pytest.raises(SystemExit, match="STACK_PROFILE=orders"):
        profiled_pid({"profilable": []}, processes, "orders")
    with pytest.raises(SystemExit, match="not running under the profiler switch"):
        profiled_pid({"profilable": ["orders"]}, processes, "orders")
