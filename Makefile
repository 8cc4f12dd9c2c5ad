# bereik: `make demo` shows calls through a real Asterisk; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system venv sandbox wheelhouse demo test bench dialplans schema clean

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

# bereik's dependencies as wheels, for the test that installs bereik's wheel into a fresh virtualenv inside a
# network namespace (no package index there; tests/e2e/installed.py).
wheelhouse: .wheelhouse/.made

.wheelhouse/.made: pyproject.toml
	$(BIN)/pip wheel --quiet --wheel-dir .wheelhouse .
	touch $@

demo: setup
	$(BIN)/python -m bereik.demo

# Three pytest-xdist workers per core: two take the end-to-end modules first (they mostly wait in real time:
# rings, prompts, callers holding, at nice -5), the third starts with the unit tests (at nice 5), which fill the
# processor the others leave idle (tests/conftest.py). Measured in README "Running the tests". Each
# worker has its own network namespace and its own copy of the Asterisk chroot, and an end-to-end module's
# tests stay on one worker (tests/conftest.py, bereik/sandbox/isolation.py). TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 3 )))

# Every worker imports and collects the whole suite: let it keep the compiled modules and pytest's rewritten tests.
test: setup wheelhouse
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS)

bench: setup
	$(BIN)/python -m bench

dialplans: venv
	$(BIN)/python dialplans/ship.py

schema: venv
	$(BIN)/bereik schema > examples/bereik.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .wheelhouse
