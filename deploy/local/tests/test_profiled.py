"""A process under the profiler switch, as the launcher starts a service: it runs as before until
switched on, writes its profile when switched off, and one stopped while profiling (as the
supervisor stops a service, with SIGTERM) still writes it on the way out, and ends as before."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from localstack import profiled

# As uvicorn stops: catches SIGTERM, leaves its loop, puts the handler it found back and raises
# the signal again, so the process ends by it. Says when it serves.
SERVICE = '''
import signal, sys, time
caught = []
found = signal.signal(signal.SIGTERM, lambda signum, frame: caught.append(signum))
print("serving", sys.argv[1:], flush=True)
while not caught:
    sum(i * i for i in range(10_000))
    cycles = [[] for _ in range(2_000)]  # lists that hold themselves: work for the collector
    for c in cycles:
        c.append(c)
    del cycles
    time.sleep(0.01)
signal.signal(signal.SIGTERM, found)
signal.raise_signal(caught[0])
'''


def start(tmp_path: Path) -> subprocess.Popen[str]:
    (tmp_path / "fake_service.py").write_text(SERVICE)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    process = subprocess.Popen([sys.executable, "-m", "localstack.profiled", str(tmp_path / "profiles"),
                                "fake_service", "serve"], env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "serving ['serve']"  # its own arguments, as before
    return process


def wait_for(pattern: str, folder: Path, timeout: float = 20) -> list[Path]:
    deadline = time.monotonic() + timeout
    while not (found := sorted(folder.glob(pattern))) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_switched_on_and_off_it_writes_the_profile_and_keeps_running(tmp_path: Path) -> None:
    process = start(tmp_path)
    try:
        assert not (tmp_path / "profiles").exists()  # nothing profiled until asked
        process.send_signal(profiled.START)
        time.sleep(0.5)
        process.send_signal(profiled.STOP)
        reports = wait_for("fake_service-*.txt", tmp_path / "profiles")
        assert reports and "by own time" in reports[0].read_text()
        collector = re.search(r"the garbage collector ran (\d+) \+ \d+ \+ \d+ times .* for \d+ ms of CPU",
                              reports[0].read_text())
        assert collector and int(collector.group(1)) > 0
        assert reports[0].with_suffix(".pstats").exists()
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == -signal.SIGTERM


def test_stopped_while_profiling_it_writes_the_profile_on_the_way_out(tmp_path: Path) -> None:
    process = start(tmp_path)
    process.send_signal(profiled.START)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == -signal.SIGTERM  # as it would have ended unprofiled
    reports = sorted((tmp_path / "profiles").glob("fake_service-*.txt"))
    assert reports and "<genexpr>" in reports[0].read_text()
