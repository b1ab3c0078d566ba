# make run  — set up and serve the demo (SQLite, simulator, console) on http://127.0.0.1:$(PORT)
# make test — set up and run the whole test suite (PostgreSQL and browser passes skip if absent)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# Tests run in parallel processes, each with its own fake LINE API and databases
# (`make test PYTEST_ARGS=` runs them in one process).
PYTEST_ARGS ?= -n auto --maxprocesses 4
export PORT

.PHONY: run test lint format bench lock clean

$(VENV)/.run-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.run-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-installed
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo
	$(BIN)/flask --app wsgi jobs run words
	@echo ""
	@echo "  まちの声 (Machikoe) demo"
	@echo "  simulator: http://127.0.0.1:$(PORT)/simulator"
	@echo "  console:   http://127.0.0.1:$(PORT)/admin/"
	@echo "  health:    http://127.0.0.1:$(PORT)/healthz"
	@echo "  (the clock process runs beside it, as in production; Ctrl-C stops both)"
	@echo ""
	$(BIN)/flask --app wsgi scheduler & clock=$$!; \
	  trap 'kill $$clock 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 --timeout 60 wsgi:app

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check bot handlers messages db tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check bot handlers messages db && $(BIN)/mypy

format: $(VENV)/.dev-installed
	$(BIN)/ruff format bot handlers messages db tests bench && $(BIN)/ruff check --fix .

# Regenerate the locks from pyproject.toml; versions already locked are kept unless
# you add --upgrade (or --upgrade-package NAME) to UV_ARGS.
lock: $(VENV)/.dev-installed
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	  --annotation-style line $(UV_ARGS) -o requirements.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --generate-hashes --annotation-style line $(UV_ARGS) -o requirements-dev.txt

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/webhook.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
