# Kohtaamo. `make run` serves the demo; `make test` runs every check. Both set up .venv themselves,
# installing exactly the versions in requirements/*.txt (exported from uv.lock, with hashes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Inside a loopback-only network namespace when we can make one (root with unshare): nothing a
# test starts can reach any address but 127.0.0.1. Elsewhere the fenced tests refuse to run.
OIDC_PROVIDER := tests/oidc_provider/node_modules/.installed
FENCE := $(shell [ "$$(id -u)" = 0 ] && unshare -n true 2>/dev/null && echo tests/run-fenced)
PYTEST_ARGS ?=

# uv resolves the lock for every supported Python; it never downloads an interpreter of its own.
UV := UV_PYTHON_DOWNLOADS=never $(BIN)/uv
EXPORT := $(UV) export --frozen --no-emit-project --no-dev --format requirements-txt --no-header --quiet

.PHONY: run test lint deps typecheck pytest messages bench lock clean local-identity

run: $(VENV)/.installed
	$(BIN)/python server.py demo
	$(BIN)/python server.py serve

test: $(VENV)/.installed-test lint typecheck pytest

lint: $(VENV)/.installed-test deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every import has its declared distribution, and the lock matches pyproject.toml.
deps: $(VENV)/.installed-test
	$(BIN)/deptry .
	$(BIN)/deptry tests bench --exclude '\.venv' --ignore DEP002,DEP004
	@$(UV) lock --check --offline --quiet 2>/dev/null || \
		{ echo "uv.lock does not match pyproject.toml: run 'make lock' and commit both"; exit 1; }
	@$(EXPORT) | diff - requirements/service.txt >/dev/null || \
		{ echo "requirements/service.txt is not uv.lock's export: run 'make lock'"; exit 1; }
	@$(EXPORT) --extra test | diff - requirements/test.txt >/dev/null || \
		{ echo "requirements/test.txt is not uv.lock's export: run 'make lock'"; exit 1; }

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test $(OIDC_PROVIDER)
	$(FENCE) $(BIN)/pytest $(PYTEST_ARGS)

# The tests' OpenID provider (npm's oidc-provider), installed from its lock file before the
# tests run fenced off the network.
$(OIDC_PROVIDER): tests/oidc_provider/package-lock.json
	cd tests/oidc_provider && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A local OpenID provider for trying identification and staff sign-on by hand (README).
local-identity: $(VENV)/.installed-test $(OIDC_PROVIDER)
	$(BIN)/python -m tests.oidc_provider.local

# Benchmarks print Markdown tables and write them into docs/benchmarks.md (issue 20's figures:
# the engine, searches and bookings through the server with the ratio to hello, growth, outbox).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_slots.py --write
	$(BIN)/python bench/bench_booking.py --database sqlite --write
	$(BIN)/python bench/bench_booking.py --database postgresql --write
	$(BIN)/python bench/bench_growth.py --database postgresql --write
	$(BIN)/python bench/bench_outbox.py --write
	$(BIN)/python bench/bench_instances.py --write
	$(FENCE) $(BIN)/python bench/bench_sfu.py --write

# Refresh the lock after editing pyproject.toml; `make lock LOCK_ARGS=--upgrade` moves every
# package to its newest release (docs/operations.md, "Upgrading dependencies").
LOCK_ARGS ?=
lock: $(VENV)/.installed-test
	$(UV) lock $(LOCK_ARGS)
	$(EXPORT) -o requirements/service.txt
	$(EXPORT) --extra test -o requirements/test.txt

# Re-extract the messages from code and templates into the fi/sv/en catalogs.
messages: $(VENV)/.installed
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
		--ignore-dirs=".venv tests bench" -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d web/translations --no-fuzzy-matching --width=100

# The service runs from the checkout; only its dependencies are installed, hash-checked.
$(VENV)/.installed: requirements/service.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/service.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements/test.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/test.txt
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
