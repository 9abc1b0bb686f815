# The two commands a new machine needs: `make serve` and `make test`.
PORT ?= 8989
LISTEN ?= 127.0.0.1:$(PORT)
DATA ?= ./gosc-data

.PHONY: serve test bench setup lint compat-vcsim

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

setup:
	@scripts/setup

serve: setup
	.venv/bin/gosc serve --listen $(LISTEN) --data-dir $(DATA) --demo

test:
	@scripts/setup --with-debs
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	@# docs/compatibility.md is regenerated from the client tests' results of this run, pass or fail.
	.venv/bin/python -m pytest $(PYTEST_ARGS); status=$$?; .venv/bin/python -m tests.clients.compat; exit $$status

# vcsim 0.24's column of docs/compatibility.md: the client tests against vcsim (its own
# failures are what the column shows, so they do not stop this), kept in tests/clients/vcsim-results/.
compat-vcsim:
	@scripts/setup --with-debs
	-GOSC_COMPAT_VCSIM=1 .venv/bin/python -m pytest tests/clients -k vcsim -p no:cacheprovider --no-cov -q
	.venv/bin/python -m tests.clients.compat

bench:
	@scripts/setup --with-debs
	.venv/bin/python -m bench
