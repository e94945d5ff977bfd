# Two entry points (see README): `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit install-dev test-deps bench bench-quick clean

# The demo needs only the local extras (numpy + DuckDB).
$(VENV)/.demo-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/anomaly-lookup demo

install-dev: $(VENV)/.dev-installed

lint: install-dev
	$(BIN)/ruff check lookup tests bench function_app.py
	$(BIN)/ruff format --check lookup tests bench function_app.py

typecheck: install-dev
	$(BIN)/mypy

# npm packages of the tests (Microsoft's Kusto language service), from the lock file.
tests/kusto/node_modules/.package-lock.json: tests/kusto/package-lock.json
	cd tests/kusto && npm ci --no-audit --no-fund --loglevel=error

# checkov lives in its own virtualenv (its pinned dependencies would clash with ours).
.venv-checkov/bin/checkov:
	bash scripts/checkov.sh --install-only

test-deps: install-dev tests/kusto/node_modules/.package-lock.json .venv-checkov/bin/checkov

# pytest exits 5 when it collects no test: make treats that as a failure, as it should.
unit: test-deps
	$(BIN)/pytest

test: lint typecheck unit

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-checkov tests/kusto/node_modules demo-output .pytest_cache .mypy_cache .ruff_cache

# Every part of the benchmark at small sizes (< 2 min); CI runs it so the harness cannot rot.
bench-quick: install-dev
	$(BIN)/python -m bench --quick
