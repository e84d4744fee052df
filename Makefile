# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

CONFORMANCE := tests/conformance

.PHONY: install run lint test conformance-deps schema bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Serve GraphiQL at http://127.0.0.1:8000/graphql with the demo organisation loaded.
run: install
	$(BIN)/python server.py migrate
	$(BIN)/python server.py demo
	$(BIN)/python server.py serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

## graphql-http's GraphQL-over-HTTP audits, which tests/test_conformance.py runs.
$(CONFORMANCE)/node_modules/.package-lock.json: $(CONFORMANCE)/package-lock.json
	npm ci --prefix $(CONFORMANCE) --no-audit --no-fund

conformance-deps: $(CONFORMANCE)/node_modules/.package-lock.json

## Rewrite schema.graphql from the code (tests/test_schema_file.py checks it).
schema: install
	$(BIN)/python server.py export-schema

## Lint, type-check and run every test, on SQLite and then on PostgreSQL (the suite
## starts a throwaway PostgreSQL 15 server itself).
test: lint conformance-deps
	$(BIN)/pytest --backend sqlite
	$(BIN)/pytest --backend postgresql

## Measure the GraphQL server against a plain Starlette baseline (see bench/).
bench: install
	$(BIN)/python bench/run.py
