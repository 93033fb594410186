#!/usr/bin/env bash
# `make check-fresh`: what a new user gets. A clone of what is committed, in a new folder only its
# owner may enter (as `mktemp -d` and home directories are), installed with an empty package
# cache from the lock alone; then every service imports, the local stack's own tests pass there
# (embedded PostgreSQL started from that folder) and so do the console's unit tests (Node.js and
# npm from the lock), nothing above the folder changed its
# permissions, and every Dockerfile's install steps are replayed from the same lock.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
modes() { local p="$1"; while :; do stat -c '%a %n' "$p"; [ "$p" = / ] && break; p="$(dirname "$p")"; done; }
before="$(modes "$fresh")"

git clone --quiet "$repo" "$fresh/orders-crm"
cd "$fresh/orders-crm"
export UV_CACHE_DIR="$fresh/uv-cache" npm_config_cache="$fresh/npm-cache"
make install
.venv/bin/python - <<'PY'
import importlib
for name in ("contracts", "servicekit", "localstack", "offers.main", "orders.main", "payments.main",
             "notifications.main", "gateway.main"):
    importlib.import_module(name)
print("every package imports")
PY
.venv/bin/python -m pytest -q -p no:cacheprovider deploy/local services/notifications/tests/unit/test_i18n.py
make console-test
.venv/bin/python deploy/checks/replay_dockerfile.py services/*/Dockerfile

if [ "$(modes "$fresh")" != "$before" ]; then
    echo "permissions above the checkout changed:"; diff <(echo "$before") <(modes "$fresh"); exit 1
fi
echo "fresh clone: installed from the lock, imports, tests and Dockerfiles all good"
