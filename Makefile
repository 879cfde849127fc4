# Habitus: two commands on a fresh machine.
#   make run   installs everything and serves the app on SQLite at http://127.0.0.1:8000
#   make test  installs what the tests need and runs the whole suite (SQLite, then PostgreSQL)
#
# Install steps are file targets, so a second `make run` skips them and changes nothing.

SHELL := /bin/bash
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

# uv comes from PATH when present, else it is bootstrapped once into .tools/.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

VENDOR_STAMP := src/habitus/static/vendor/.built

.PHONY: install run serve migrate test test-sqlite test-postgres lint typecheck fuzz check clean help bench

help:
	@echo "make run    install and serve on SQLite (http://$(HOST):$(PORT))"
	@echo "make test   install and run lint, types and the test suite on SQLite and PostgreSQL"
	@echo "make bench  run the benchmarks (bench/README.md; needs wrk and PostgreSQL)"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.4"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR_STAMP): node_modules/.installed scripts/build-assets.mjs $(wildcard src/habitus/static/css/*.css)
	node scripts/build-assets.mjs
	@touch $@

install: $(VENV)/.installed $(VENDOR_STAMP)

migrate: install
	$(BIN)/habitus migrate

# `serve` migrates the database first (HABITUS_AUTO_MIGRATE defaults to true).
run: install
	$(BIN)/habitus serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test-sqlite: install
	HABITUS_TEST_DATABASE=sqlite $(BIN)/pytest -n 2 -q

test-postgres: install
	HABITUS_TEST_DATABASE=postgresql $(BIN)/pytest -n 2 -q

# The whole suite, as CI runs it.
test: lint typecheck test-sqlite test-postgres

# Benchmarks, not tests: figures and targets in bench/README.md.
bench: install
	bash bench/run_all.sh

clean:
	rm -rf $(VENV) .tools node_modules src/habitus/static/vendor .pytest_cache .mypy_cache .ruff_cache
