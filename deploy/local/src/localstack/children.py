"""The stack's infrastructure as the supervisor sees it: how each starts again, and how it is seen dead.

The services and the mailbox are plain child processes (`supervisor.Process`). The broker and
PostgreSQL need more: the broker keeps its topics in memory only, so a new one starts empty
and gets every topic again before anything is told it is back; PostgreSQL runs detached
(pg_ctl starts it), so it is seen through its postmaster.pid, and starts again on its data
directory, recovering from its write-ahead log as after any crash.
"""

import asyncio
from dataclasses import dataclass
from pathlib import Path

from .broker import TansuBroker, create_topics
from .config import TOPIC_PARTITIONS
from .postgres import EmbeddedPostgres
from .supervisor import describe_exit


@dataclass
class SupervisedBroker:
    broker: TansuBroker
    topics: list[str]
    name: str = "the broker"

    @property
    def log(self) -> Path:
        return self.broker.log_file

    def start(self) -> None:
        self.broker.start()
        asyncio.run(create_topics(self.broker.bootstrap, self.topics, TOPIC_PARTITIONS))

    def ended(self) -> str | None:
        process = self.broker.process
        if process is None or process.poll() is None:
            return None
        return describe_exit(process.returncode)

    def pid(self) -> int | None:
        return self.broker.process.pid if self.broker.process else None

    def stop(self) -> None:
        self.broker.stop()


@dataclass
class SupervisedPostgres:
    postgres: EmbeddedPostgres
    name: str = "PostgreSQL"
    # Its own server.log belongs to the server's user; the launcher's output says what happened.
    log: Path | None = None

    def start(self) -> None:
        self.postgres.start()

    def ended(self) -> str | None:
        return None if self.postgres.server_pid() else "its server process is gone"

    def pid(self) -> int | None:
        return self.postgres.server_pid()

    def stop(self) -> None:
        self.postgres.stop()
