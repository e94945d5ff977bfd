# Two entry points (see README): `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit install-dev bench clean

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

# pytest exits 5 when it collects no test: make treats that as a failure, as it should.
unit: install-dev
	$(BIN)/pytest

test: lint typecheck unit

bench: $(VENV)/.demo-installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
