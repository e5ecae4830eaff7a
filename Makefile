# Everything a fresh machine with python3, pip and apt-get needs: the targets create .venv themselves.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install test test-fast reproduce-table2 clean-venv reproduce-fcnn-table4 reproduce-fcnn-table5 \
	reproduce-fcnn-table7 reproduce-fcnn-figure2 reproduce-hocp-table1 reproduce-hocp-table2

# Reinstall only when the dependency list changed (pyproject.toml newer than the stamp).
$(STAMP): pyproject.toml
	@test -x $(PYTHON) || $(PY) -m venv $(VENV) || { \
	  echo "python3 -m venv failed; installing python3-venv with apt-get"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PY) -m venv $(VENV); }
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(STAMP)

test: $(STAMP)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PYTHON) -m pytest -m "not slow" $(PYTEST_ARGS)

# ---- training / tables (jobs -> suite.train -> results/ -> paper_tables) ----
# PROFILE=local (default: shipped MNIST digits, small nets, CPU) or paper (needs DATA=/path/to/dataset);
# EXECUTOR=pool (default: one single-threaded run per core), inprocess, local, debug, slurm.
PROFILE ?= local
EXECUTOR ?= pool
DATA ?=
# JOBS_ARGS: more `python -m jobs run` options, e.g. cluster resources for EXECUTOR=slurm:
#   JOBS_ARGS="--partition gpu --account myproject --constraint a100 --time 3-00:00:00"
JOBS_ARGS ?=
JOBS_RUN = $(PYTHON) -m jobs run --profile $(PROFILE) --executor $(EXECUTOR) $(if $(DATA),--data $(DATA)) $(JOBS_ARGS)

reproduce-table2: $(STAMP)
	$(JOBS_RUN) fcnn-table2
	$(PYTHON) -m jobs collect fcnn-table2 --profile $(PROFILE)

reproduce-fcnn-table4 reproduce-fcnn-table5 reproduce-fcnn-table7 reproduce-hocp-table1 reproduce-hocp-table2: reproduce-%: $(STAMP)
	$(JOBS_RUN) $*
	$(PYTHON) -m jobs collect $* --profile $(PROFILE)

reproduce-fcnn-figure2: reproduce-fcnn-table7
	$(PYTHON) -m jobs collect fcnn-figure2 --profile $(PROFILE)

clean-venv:
	rm -rf $(VENV)

# Every table and figure of both papers -> paper_tables/out/: the complexity tables and HO-CP Figure 5
# (suite.complexity, no training) and each accuracy table from the finished runs in results/ (local profile
# always, other profiles where runs exist). One table: `python -m paper_tables fcnn-table2 --profile local`.
.PHONY: tables
tables: $(STAMP)
	$(PYTHON) -m paper_tables

# ---- asv: kernel throughput over commits (README "Tracking kernel performance (asv)") ----------------
# Offline, in the existing .venv. Knobs: N (commits), BASE, FACTOR, BENCH (asv -b regex, e.g. 'small' or
# 'Topological'), BENCH_ARGS (e.g. --quick). Results: .asv/results/, HTML: .asv/html/.
N ?= 20
BASE ?= main
FACTOR ?= 1.5
BENCH ?=
BENCH_ARGS ?=
export BENCH BENCH_ARGS  # through the environment: a regex may hold quotes
ASV_ENV = PYTHON=$(CURDIR)/$(PYTHON)

.PHONY: bench bench-history bench-html bench-check

bench: $(STAMP)
	$(ASV_ENV) scripts/asv_bench.sh head

bench-history: $(STAMP)
	$(ASV_ENV) scripts/asv_bench.sh history $(N) main

bench-html: $(STAMP)
	$(PYTHON) -m asv publish
	@echo "HTML report: .asv/html/index.html -- view it with '$(PYTHON) -m asv preview' (http://127.0.0.1:8080)"

bench-check: $(STAMP)
	$(ASV_ENV) scripts/asv_bench.sh check $(BASE) $(FACTOR)
