# Everything a fresh machine with python3, pip and apt-get needs: the targets create .venv themselves.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install test test-fast lint reproduce-table2 clean-venv reproduce-fcnn-table4 reproduce-fcnn-table5 \
	reproduce-fcnn-table7 reproduce-fcnn-figure2 reproduce-hocp-table1 reproduce-hocp-table2

# Reinstall only when the dependency list changed (pyproject.toml newer than the stamp).
$(STAMP): pyproject.toml
	@test -x $(PYTHON) || $(PY) -m venv $(VENV) || { \
	  echo "python3 -m venv failed; installing python3-venv with apt-get"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PY) -m venv $(VENV); }
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	$(PYTHON) -m suite.kernels  # compile the Numba kernels into the per-node cache (auto times only warm kernels)
	@touch $@

# `make help`: every target with the one-line description after its `##` (no venv needed).
help:  ## list the targets with a one-line description
	@awk -F':.*## ' '/^[a-zA-Z0-9][a-zA-Z0-9 _.%-]*:.*## / { n = split($$1, names, " "); \
	  for (i = 1; i <= n; i++) printf "  %-24s %s\n", names[i], $$2 }' $(firstword $(MAKEFILE_LIST))
	@echo "Knobs (make VAR=value target): PROFILE EXECUTOR DATA JOBS_ARGS PYTEST_ARGS N BASE FACTOR BENCH BENCH_ARGS EXPERIMENTS FROM"
	@echo "Results root: \$$SUITE_RESULTS if set, else results/"

install: $(STAMP)  ## create .venv and install the package with its test and bench extras

test: lint  ## ruff, then the whole test suite (slow tests included; PYTEST_ARGS=... for more pytest options)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

test-fast: lint  ## ruff, then the tests not marked slow
	$(PYTHON) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff check of the whole tree (rules and line length in pyproject.toml [tool.ruff])
	$(PYTHON) -m ruff check .

# ---- training / tables (jobs -> suite.train -> results/ -> paper_tables) ----
# PROFILE=local (default: shipped MNIST digits, small nets, CPU) or paper (needs DATA=/path/to/dataset);
# EXECUTOR=pool (default, as for `python -m jobs run`: one single-threaded run per core), inprocess, local, debug,
# slurm. Results go to $SUITE_RESULTS if set, else results/ (the default of jobs and paper_tables).
PROFILE ?= local
EXECUTOR ?= pool
DATA ?=
# JOBS_ARGS: more `python -m jobs run` options, e.g. cluster resources for EXECUTOR=slurm:
#   JOBS_ARGS="--partition gpu --account myproject --constraint a100 --time 3-00:00:00"
JOBS_ARGS ?=
JOBS_RUN = $(PYTHON) -m jobs run --profile $(PROFILE) --executor $(EXECUTOR) $(if $(DATA),--data $(DATA)) $(JOBS_ARGS)

reproduce-table2: $(STAMP)  ## train FCNN Table 2's models (PROFILE, EXECUTOR, DATA) and write the table
	$(JOBS_RUN) fcnn-table2
	$(PYTHON) -m jobs collect fcnn-table2 --profile $(PROFILE)

reproduce-fcnn-table4 reproduce-fcnn-table5 reproduce-fcnn-table7 reproduce-hocp-table1 reproduce-hocp-table2: reproduce-%: $(STAMP)  ## train the models of the table in the target's name and write that table
	$(JOBS_RUN) $*
	$(PYTHON) -m jobs collect $* --profile $(PROFILE)

reproduce-fcnn-figure2: reproduce-fcnn-table7  ## FCNN Figure 2 from FCNN Table 7's runs
	$(PYTHON) -m jobs collect fcnn-figure2 --profile $(PROFILE)

clean-venv:  ## remove .venv
	rm -rf $(VENV)

# ---- reference results shipped in reference/ (docs/reference.md) ----
# Trains every experiment's local profile on this machine (run it idle: about an hour on 2 cores), copies each
# run's summary, metrics, config and env (no checkpoint) to reference/ and writes reference/manifest.json last.
# EXPERIMENTS=a,b: only these; FROM=RESULTS: take the finished local runs of that results root instead of training.
EXPERIMENTS ?=
FROM ?=
.PHONY: reference
reference: $(STAMP)  ## rebuild the shipped reference results in reference/ (EXPERIMENTS, FROM; docs/reference.md)
	$(PYTHON) -m jobs reference refresh $(if $(EXPERIMENTS),--experiments $(EXPERIMENTS)) $(if $(FROM),--from $(FROM))

# Every table and figure of both papers -> paper_tables/out/: the complexity tables and HO-CP Figure 5
# (suite.complexity, no training) and each accuracy table from the finished runs in results/ (local profile
# always, other profiles where runs exist). One table: `python -m paper_tables fcnn-table2 --profile local`.
# BENCH=FILE... (here: model-timing JSONs of `python -m suite.bench models --json FILE`, one per device): the
# claims page also judges every efficiency claim in seconds (claims_time.md and the figures in seconds).
.PHONY: tables
tables: $(STAMP)  ## complexity tables and figures of both papers (no training) -> paper_tables/out/ (BENCH=model-timing JSONs)
	$(PYTHON) -m paper_tables $(if $(BENCH),--bench $(BENCH))

# docs/complexity.md: the complexity tables, regenerated from suite.complexity; docs/environment.md: the table of
# environment variables, from suite/envvars.py (tests/test_docs.py fails when either is stale)
.PHONY: docs
docs: $(STAMP)  ## regenerate docs/complexity.md (suite.complexity, no training) and docs/environment.md (suite/envvars.py)
	$(PYTHON) -m paper_tables --only complexity --readme docs/complexity.md
	$(PYTHON) -m jobs env --write-doc docs/environment.md

# ---- asv: kernel throughput over commits (docs/asv.md) ----------------
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

bench: $(STAMP)  ## asv: benchmark the working tree, saved as HEAD (BENCH, BENCH_ARGS)
	$(ASV_ENV) scripts/asv_bench.sh head

bench-history: $(STAMP)  ## asv: benchmark the last N commits of main
	$(ASV_ENV) scripts/asv_bench.sh history $(N) main

bench-html: $(STAMP)  ## asv: publish .asv/html/, a page that works offline (vendored scripts)
	$(ASV_ENV) scripts/asv_bench.sh html
	@echo "HTML report: .asv/html/index.html (works offline) -- view it with '$(PYTHON) -m asv preview' (http://127.0.0.1:8080)"

bench-check: $(STAMP)  ## asv: fail if HEAD is more than FACTOR slower than BASE
	$(ASV_ENV) scripts/asv_bench.sh check $(BASE) $(FACTOR)
