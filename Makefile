# Habitus: two commands on a fresh machine.
#   make run   installs what running needs and serves the app on SQLite at http://127.0.0.1:8000
#   make test  installs what the tests need too and runs the whole suite (SQLite, then PostgreSQL)
#
# Install steps are file targets, so a second `make run` skips them and changes nothing.
# There are two kinds, each with its stamp in the virtualenv: `make run` installs the
# app and its dependencies only (no pytest, mypy, Playwright, schemathesis ...), `make test`
# (and lint, typecheck, bench) the dev group of pyproject.toml as well. The first removes
# nothing (`--inexact`: the dev group stays where `make test` put it) and the second
# installs everything the first does, so they follow each other in any order.

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

.PHONY: install install-dev install-python assets run serve migrate test test-sqlite test-postgres lint typecheck fuzz check clean help bench

help:
	@echo "make run    install and serve on SQLite (http://$(HOST):$(PORT))"
	@echo "make test   install and run lint, types and the test suite on SQLite and PostgreSQL"
	@echo "make bench  run the benchmarks (bench/README.md; needs wrk and PostgreSQL)"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.4"

# What running needs: the project and its dependencies, no dev group.
$(VENV)/.installed-run: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --no-dev --inexact --extra ocr --python $(PYTHON)
	@touch $@

# What the tests, the linters and the benchmarks need besides: the dev group.
$(VENV)/.installed-dev: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --group dev --extra ocr --python $(PYTHON)
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR_STAMP): node_modules/.installed scripts/build-assets.mjs $(wildcard src/habitus/static/css/*.css) $(wildcard src/habitus/static/js/*.js)
	node scripts/build-assets.mjs
	@touch $@

# `install` in two halves, because the container image (Dockerfile) builds each in a
# stage of its own with these very targets: what CI runs natively is what the image runs
# (tests/ops/test_container_files.py).
install: install-python assets

install-python: $(VENV)/.installed-run

assets: $(VENDOR_STAMP)

install-dev: $(VENV)/.installed-dev $(VENDOR_STAMP)

migrate: install
	$(BIN)/habitus migrate

# `serve` migrates the database first (HABITUS_AUTO_MIGRATE defaults to true).
run: install
	$(BIN)/habitus serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

# The two passes split what need not run twice (tests/fixtures/passes.py): tests that
# touch no database run on SQLite only, each browser test file in one of the passes.
# Three workers on CI's two cores: a sixth of a pass is spent waiting (servers starting,
# browsers, sleeps), which the third fills (SQLite pass 816 s -> 765 s, measured).
test-sqlite: install-dev
	HABITUS_TEST_SPLIT=1 HABITUS_TEST_DATABASE=sqlite $(BIN)/pytest -n 3 -q

test-postgres: install-dev
	HABITUS_TEST_SPLIT=1 HABITUS_TEST_DATABASE=postgresql $(BIN)/pytest -n 3 -q

# The whole suite, as CI runs it.
test: lint typecheck test-sqlite test-postgres

# Benchmarks, not tests: figures and targets in bench/README.md.
bench: install-dev
	bash bench/run_all.sh

clean:
	rm -rf $(VENV) .tools node_modules src/habitus/static/vendor .pytest_cache .mypy_cache .ruff_cache
