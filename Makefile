# Safe Conduct: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := var/demo.db

.PHONY: demo test lint typecheck pytest bench-audit bench-tracing bench-tracing-calibration bench-search bench-intake bench-duties bench-exchange bench-bureau bench-inquiries clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## demo: a fresh SQLite store of synthetic people, served on http://127.0.0.1:8000
demo: $(VENV)/.installed
	mkdir -p var
	rm -rf $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).keys
	$(BIN)/safeconduct demo --db sqlite:///$(DEMO_DB) --people 300

## test: lint, type-check, and the whole suite (PostgreSQL too when SAFECONDUCT_TEST_PG_URL is set)
test: lint typecheck pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy src

pytest: $(VENV)/.dev-installed node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -n 2 --durations=30

# axe-core for the accessibility checks of the browser tests (tests/e2e).
node_modules/axe-core/axe.min.js: package.json
	npm install --no-audit --no-fund
	touch $@

## bench-audit: audit verify over 1,000,000 entries, and from the last verified checkpoint, against the object-by-object walk (ARGS="--db postgresql+psycopg://...")
bench-audit: $(VENV)/.dev-installed
	$(BIN)/python bench/audit.py $(ARGS)

bench-tracing: $(VENV)/.dev-installed
	$(BIN)/python bench/tracing.py $(ARGS)

## bench-tracing-calibration: top-1 F1 and confident false matches under each lever on the model, on the independent set (ARGS="--data DIR")
bench-tracing-calibration: $(VENV)/.dev-installed
	$(BIN)/python bench/tracing_calibration.py $(ARGS)

bench-search: $(VENV)/.dev-installed
	$(BIN)/python bench/search.py $(ARGS)

## bench-intake: submissions per second through the public face against bare INSERTs (ARGS="--db postgresql")
bench-intake: $(VENV)/.dev-installed
	$(BIN)/python bench/intake.py $(ARGS)

## bench-duties: every duty's state for 100,000 people from the marks, against the events and a per-person reference (ARGS="--db postgresql")
bench-duties: $(VENV)/.dev-installed
	$(BIN)/python bench/duties.py $(ARGS)

## bench-exchange: build, check and approve a list of 1,000 from 100,000 people against an independent oracle and a per-person check (ARGS="--pg postgresql://postgres@127.0.0.1:5432/postgres")
bench-exchange: $(VENV)/.dev-installed
	$(BIN)/python bench/exchange.py $(ARGS)

## bench-bureau: a CTA batch over 100,000 people and capture cards for 1,000, against bare baselines (ARGS="--db postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
bench-bureau: $(VENV)/.dev-installed
	$(BIN)/python bench/bureau.py $(ARGS)

## bench-inquiries: one registration against 200,000 open inquiries and 10,000 inquiries against 1,000,000 people, against full scans (ARGS="--small", ARGS="--db postgresql+psycopg://...")
bench-inquiries: $(VENV)/.dev-installed
	$(BIN)/python bench/inquiries.py $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
