# One command runs the system, one runs the tests; both install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PACKAGES := contracts libs/servicekit deploy/local services/offers services/orders services/payments services/notifications services/gateway
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))

.PHONY: run test bench bench-orders-list token install clean

$(STAMP): $(PYPROJECTS) requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m localstack run

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m localstack.bench $(ARGS)

bench-orders-list: $(STAMP)
	$(PY) services/orders/bench/list_and_search.py $(ARGS)

token: $(STAMP)
	$(PY) -m gateway.token $(ARGS)

clean:
	rm -rf $(VENV) .local
