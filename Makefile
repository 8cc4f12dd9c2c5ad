# bereik: `make demo` shows calls through a real Asterisk; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system venv sandbox demo test bench dialplans clean

setup: system venv sandbox

system:
	bash scripts/install-system.sh

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

sandbox: venv
	$(BIN)/python -m bereik.sandbox build

demo: setup
	$(BIN)/python -m bereik.demo

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench

dialplans: venv
	$(BIN)/python dialplans/ship.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
