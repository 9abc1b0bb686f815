# The two commands a new machine needs: `make serve` and `make test`.
PORT ?= 8989
LISTEN ?= 127.0.0.1:$(PORT)
DATA ?= ./gosc-data

.PHONY: serve test bench setup lint

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
	.venv/bin/python -m pytest $(PYTEST_ARGS)

bench:
	@scripts/setup --with-debs
	.venv/bin/python -m bench
