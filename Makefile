# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run lint test

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

## Lint, type-check and run every test, on SQLite and then on PostgreSQL (the suite
## starts a throwaway PostgreSQL 15 server itself).
test: lint
	$(BIN)/pytest --backend sqlite
	$(BIN)/pytest --backend postgresql
