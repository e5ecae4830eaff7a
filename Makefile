# Everything a fresh machine with python3, pip and apt-get needs: the targets create .venv themselves.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install test test-fast reproduce-table2 clean-venv

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

reproduce-table2: $(STAMP)
	@echo "make reproduce-table2: training (suite.train) and the Table 2 generator (paper_tables) are not available yet." >&2
	@echo "Nothing was trained and no table was written. Track issue [3/6] for this target." >&2
	@exit 1

clean-venv:
	rm -rf $(VENV)

# Complexity tables and figures of both papers (suite.complexity, no training) -> paper_tables/out/
.PHONY: tables
tables: $(STAMP)
	$(PYTHON) -m paper_tables
