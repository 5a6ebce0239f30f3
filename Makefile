# Citizen Assistant — `make run` serves, `make test` checks everything.
# Both set up .venv on first use: torch (CPU build) first, then the rest pinned by
# constraints.txt, so nothing pulls the CUDA build of torch.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test lint typecheck pytest install install-dev chromium bench eval openapi clean help

help:
	@echo "make run    — set up and serve on http://$(HOST):$(PORT)"
	@echo "make test   — set up and run ruff, mypy and pytest (browser tests included)"
	@echo "make bench  — speed and memory benchmark"
	@echo "make openapi — rewrite docs/openapi.json from the app"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -qq torch==2.13.0
	$(PIP) install -qq -c constraints.txt -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) install -qq -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: $(VENV)/.runtime
	$(BIN)/citizen-assistant serve --host $(HOST) --port $(PORT)

# Debian's chromium drives the browser tests (Playwright's own download cannot work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev
	$(BIN)/mypy

pytest: $(VENV)/.dev chromium
	$(BIN)/pytest

test: lint typecheck pytest

# docs/openapi.json: the HTTP API's schema as the app serves it at /openapi.json.
openapi: $(VENV)/.runtime
	$(BIN)/python -m channels.web.openapi docs/openapi.json

bench: $(VENV)/.dev
	$(BIN)/python -m eval.bench
	$(BIN)/python -m eval.bench.flood

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .grimp_cache .import_linter_cache
