# Hotline 12345 — developer commands. Everything runs inside $(VENV), created on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-pg lint fmt typecheck bench clean

$(VENV)/.installed: pyproject.toml
	./scripts/system-deps.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## run: install, create the demo city on SQLite (./hotline.db) and serve the API on :8000
run: install
	$(VENV)/bin/hotline demo

## test: lint, type-check, then the whole suite on SQLite and on PostgreSQL, the two side by side
## (one core each; each suite's output is printed when it ends)
test: lint typecheck
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-pg

test-sqlite: install
	$(VENV)/bin/pytest

test-pg: install
	HOTLINE_TEST_DATABASE_URL=$(PG_TEST_URL) HOTLINE_TEST_REDIS_URL=redis://127.0.0.1:6379/1 $(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports --no-cache

typecheck: install
	$(VENV)/bin/mypy

fmt: install
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: install
	$(PY) bench/dispatch.py
	$(PY) bench/qa.py
	$(PY) bench/reply_quality.py
	$(PY) bench/screening.py
	$(PY) bench/reading.py
	$(PY) bench/hotspots.py
	$(PY) bench/analytics.py
	$(PY) bench/followup.py --pg-url $(PG_TEST_URL)
	$(PY) bench/intake.py --db sqlite --api-processes 1 --dispatch sync
	$(PY) bench/intake.py --db postgresql --pg-url $(PG_TEST_URL) --job-workers 2

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache hotline.db* var
