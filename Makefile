# The course's commands. `make lab` and `make test` are all a student needs.
# Every target creates the virtual environment in .venv first if needed and
# reinstalls only when pyproject.toml changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3 || command -v python)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests and CI never touch the network: they run on the bundled ShapesNet.
TEST_ENV := COURSE_MODEL=shapesnet

.PHONY: help lab test unit notebooks check-notebooks clean-notebooks shapesnet bench course slides timings clean

help:
	@echo "make lab              start JupyterLab on notebooks/ (sets everything up first)"
	@echo "make test             unit tests + every notebook under nbval (offline, ShapesNet)"
	@echo "make clean-notebooks  strip outputs from notebooks before committing"
	@echo "make shapesnet        retrain the bundled ShapesNet model (<= 10 min on a CPU)"
	@echo "make bench            benchmarks against the classic implementations"
	@echo "make course           execute every notebook, HTML + index in build/html/"
	@echo "make slides           reveal.js slides of every notebook in build/slides/"
	@echo "make timings          measure each notebook's wall time and memory into README.md"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks

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

clean:
	rm -rf build
