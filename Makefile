# Watchpost: `make demo` runs the product on its embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# SQLite, tasks in-process, AWS from the local emulator; prints a demo login; serves :8000.
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# Every test. DATABASE_URL / REDIS_URL select PostgreSQL and Redis (.ci/run sets both).
test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/test.sh $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-lint-only-not-a-secret} $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles watchpost.sqlite3* .pytest_cache
