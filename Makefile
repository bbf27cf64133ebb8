# Kohtaamo. `make run` serves the demo; `make test` runs every check. Both set up .venv themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Inside a loopback-only network namespace when we can make one (root with unshare): nothing a
# test starts can reach any address but 127.0.0.1. Elsewhere the fenced tests refuse to run.
FENCE := $(shell [ "$$(id -u)" = 0 ] && unshare -n true 2>/dev/null && echo tests/run-fenced)
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest messages bench clean

run: $(VENV)/.installed
	$(BIN)/python server.py demo
	$(BIN)/python server.py serve

test: $(VENV)/.installed-test lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(FENCE) $(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks print Markdown tables; docs/benchmarks.md records a run on the project machine.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_slots.py
	$(BIN)/python bench/bench_booking.py --database sqlite
	$(BIN)/python bench/bench_booking.py --database postgresql
	$(BIN)/python bench/bench_instances.py

# Re-extract the messages from code and templates into the fi/sv/en catalogs.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
		--ignore-dirs=".venv tests bench" -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d web/translations --no-location --omit-header --width=100

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
