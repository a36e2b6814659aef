# The course's commands. `make lab` and `make test` are all a student needs.
# Every target creates the virtual environment in .venv first if needed and
# reinstalls only when pyproject.toml changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3 || command -v python)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests and CI never touch the network: they run on the bundled ShapesNet.
TEST_ENV := COURSE_MODEL=shapesnet

.PHONY: help lab test unit notebooks check-notebooks clean-notebooks shapesnet bench course slides timings vgg16-memory clean e2e solutions

help:
	@echo "make lab              start JupyterLab on notebooks/ (sets everything up first)"
	@echo "make test             unit tests + every notebook under nbval (offline, ShapesNet)"
	@echo "make clean-notebooks  strip outputs from notebooks before committing"
	@echo "make shapesnet        retrain the bundled ShapesNet model (<= 10 min on a CPU)"
	@echo "make bench            benchmarks against the classic implementations"
	@echo "make course           execute every notebook, HTML + index in build/html/"
	@echo "make slides           reveal.js slides of every notebook in build/slides/"
	@echo "make timings          measure each notebook's wall time and memory into README.md"
	@echo "make vgg16-memory     each notebook's peak memory with VGG16 (for sizing a hub)"
	@echo "make solutions        run every notebook with the exercises' reference solutions filled in"
	@echo "make e2e              every notebook in real JupyterLab + Chromium; screenshots in build/screenshots/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

# JupyterLab refuses to run as root unless told (containers, some lab machines).
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

test: $(STAMP) check-notebooks unit notebooks

check-notebooks: $(STAMP)
	$(BIN)/python -m helpers.notebooks check notebooks

unit: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q tests

notebooks: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q --nbval-lax --nbval-current-env notebooks

clean-notebooks: $(STAMP)
	$(BIN)/nbstripout --keep-id notebooks/*.ipynb

shapesnet: $(STAMP)
	$(BIN)/python -m helpers.shapes train

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

course: $(STAMP)
	$(BIN)/python -m helpers.notebooks course

slides: $(STAMP)
	$(BIN)/python -m helpers.notebooks slides

timings: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m helpers.notebooks timings

vgg16-memory: $(STAMP)
	$(BIN)/python -m helpers.notebooks vgg16-memory

clean:
	rm -rf build

# Every notebook in real JupyterLab in Debian's Chromium, driven by Playwright
# (tests_e2e/): run all cells, no error, widgets drawn live, each explorer
# reacts to its control; screenshots in build/screenshots/. Installs chromium
# with apt-get and the playwright package with pip; never `playwright install`.
PLAYWRIGHT_VERSION := 1.65.2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

e2e: $(STAMP)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@$(BIN)/python -c "import importlib.metadata as m, sys; sys.exit(m.version('playwright') != '$(PLAYWRIGHT_VERSION)')" 2>/dev/null || \
	  $(BIN)/python -m pip install --quiet "playwright==$(PLAYWRIGHT_VERSION)"
	$(TEST_ENV) $(BIN)/python -m pytest -v -rP tests_e2e

# Every lesson notebook executed with the reference solutions of its
# exercises (solutions/) pasted into the starter cells, in memory; fails
# unless every exercise check says "correct".
solutions: $(STAMP)
	$(TEST_ENV) $(BIN)/python tools/run_solutions.py
