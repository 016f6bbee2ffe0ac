# ignition-db: everyday commands. `make upgrade` and `make test` are the quick start.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/ignition
export DATABASE_URL

.PHONY: help venv upgrade seed test lint typecheck pytest check validate downgrade sql revision history clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed  ## create .venv and install the pinned dependencies

upgrade: venv  ## bring the database at DATABASE_URL to head (creating it if missing) and seed it
	$(BIN)/python -m dbtools.ensure_database
	$(BIN)/alembic upgrade head
	$(BIN)/python -m seeds

seed: venv  ## load the reference data (idempotent: a second run changes nothing)
	$(BIN)/python -m seeds

test: lint typecheck pytest  ## the whole suite: ruff, mypy, pytest

lint: venv  ## ruff (lint, formatting) and squawk (lock safety of every revision's SQL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m dbtools.lint_migrations

typecheck: venv  ## mypy (strict)
	$(BIN)/mypy

pytest: venv  ## tests against the PostgreSQL server of DATABASE_URL (they make their own databases)
	$(BIN)/python -m dbtools.ensure_database --server-only
	$(BIN)/pytest

check: venv  ## drift check: models (tables, enums, functions, views, triggers) == migrations
	$(BIN)/alembic check

validate: venv  ## re-run the validation checkpoint live; writes docs/validation.md
	$(BIN)/python -m dbtools.ensure_database --server-only
	$(BIN)/python -m d1import.parity

downgrade: venv  ## undo the last revision
	$(BIN)/alembic downgrade -1

sql: venv  ## print the offline SQL of the whole chain (alembic upgrade head --sql)
	@$(BIN)/alembic upgrade head --sql

revision: venv  ## start the next numbered revision: make revision m="add foo" [autogenerate=1]
	@test -n "$(m)" || { echo 'usage: make revision m="what it does"'; exit 2; }
	$(BIN)/python -m dbtools.new_revision "$(m)" $(if $(autogenerate),--autogenerate)

history: venv  ## list the revisions
	$(BIN)/alembic history

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
