"""Replays a service's Dockerfile install steps in a folder, for machines without a Docker engine.

It stands a fresh virtual environment in for the image's Python, copies what each COPY names
(from the repository root, the build context) into a folder that plays /app, sets each ENV with
/app pointing there, and runs each RUN with sh, except the image's user creation. What it proves:
the Dockerfile's commands install the service from requirements-uv.txt and uv.lock alone, and the
service imports. It is not a container: the base image's system packages are the machine's own.

    python deploy/checks/replay_dockerfile.py services/orders/Dockerfile
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = ("groupadd", "useradd")


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def replay(dockerfile: Path, work: Path) -> None:
    app, python = work / "app", work / "image-python"
    venv.create(python, with_pip=True)
    env = {key: value for key, value in os.environ.items()
           if key == "UV_CACHE_DIR" or not key.startswith(("UV_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{python / 'bin'}:{env['PATH']}"
    cwd = work
    for word, rest in instructions(dockerfile):
        if word == "WORKDIR":
            cwd = app if rest == "/app" else Path(rest.replace("/app", str(app)))
            cwd.mkdir(parents=True, exist_ok=True)
        elif word == "ENV":
            for key, value in (pair.split("=", 1) for pair in shlex.split(rest)):
                value = value.replace("/app", str(app)).replace("$PATH", env["PATH"])
                env[key] = value
        elif word == "COPY":
            *sources, target = rest.split()
            for source in sources:
                origin, into = ROOT / source, cwd / target
                if origin.is_dir():
                    shutil.copytree(origin, into, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".venv"))
                else:
                    into.mkdir(parents=True, exist_ok=True) if target.endswith("/") else into.parent.mkdir(
                        parents=True, exist_ok=True)
                    shutil.copy2(origin, into / origin.name if target.endswith("/") else into)
        elif word == "RUN":
            if rest.startswith(SKIPPED):
                continue
            env.pop("UV_NO_CACHE", None)  # the machine's cache is fine for a replay
            print(f"+ {rest}", flush=True)
            subprocess.run(["sh", "-c", rest], cwd=cwd, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dockerfiles", nargs="+", type=Path)
    args = parser.parse_args()
    for dockerfile in args.dockerfiles:
        work = Path(tempfile.mkdtemp(prefix="crm-image-"))
        try:
            print(f"== {dockerfile}", flush=True)
            replay(dockerfile.resolve(), work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("every Dockerfile installed its service from the lock", flush=True)


if __name__ == "__main__":
    sys.exit(main())
