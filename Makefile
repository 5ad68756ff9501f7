# impact: two commands set everything up.  `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check
YEAR   ?= 2024
LANG_  ?= zh
JOBS   ?= 2

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip setuptools wheel

$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e '.[dask]'
	@touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e '.[dev,dask]'
	@touch $@ $(VENV)/.runtime

.PHONY: help install install-dev data report lint test test-all bench lab simulate clean
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

install: $(VENV)/.runtime ## Create .venv and install the package with its dependencies

install-dev: $(VENV)/.dev ## Create .venv and install the package with the dev extra

data: install ## Validate data/raw and build data/processed (Parquet + DuckDB)
	$(VENV)/bin/impact data build

report: data ## Main job: every county report, the province report (HTML and Word .docx) and the index for YEAR (default 2024)
	$(VENV)/bin/impact report all --year $(YEAR) --lang $(LANG_) --jobs $(JOBS) --province --docx

lint: install-dev ## Static checks (pyflakes rules: undefined names, unused imports)
	$(VENV)/bin/ruff check --select F,E9 src tests benchmarks scripts

test: lint data ## Build data/processed, then run the test suite (fast subset; slow studies are `make test-all`)
	$(VENV)/bin/pytest

test-all: install-dev data ## Run every test, the slow coverage studies included
	$(VENV)/bin/pytest -m ''

bench: install-dev ## Run the benchmarks in benchmarks/ and print their ratios
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lab: install-dev ## Open the notebooks in JupyterLab with this environment's kernel
	$(PY) -m ipykernel install --sys-prefix --name impact --display-name "impact (.venv)" >/dev/null
	$(VENV)/bin/jupyter lab notebooks/

simulate: install ## Regenerate the committed simulated data (small scale, default seed)
	$(VENV)/bin/impact simulate --scale small

clean: ## Remove built data and reports (keeps .venv)
	rm -rf data/processed/* reports/20*
