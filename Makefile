# Two commands set genfin up on a fresh machine: `make demo` and `make test`.
# TORCH is installed before the package, so a local CPU build wins over the multi-GB CUDA build that a
# plain `torch` requirement would pull. Override it for another platform: `make demo TORCH=torch`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
PIP := $(VENV)/bin/python -m pip
BIN := $(VENV)/bin

.PHONY: demo test lint install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/genfin demo

lint: install-dev
	$(BIN)/ruff check src tests bench examples

# openTSNE's OpenMP threads spin while they wait; on a busy machine that makes a two-thread fit many
# times slower. Passive waiting must be set before Python starts, so it is set here, not in the library.
test: install-dev lint
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
