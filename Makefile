# One task runner. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-dev run test lint typecheck unit browser bench

install:  ## the package, its Python dependencies, and the front-end packages (htmx) from the lock file
	$(PYTHON) -m pip install --quiet torch==2.13.0
	$(PYTHON) -m pip install --quiet -e .
	npm ci --no-audit --no-fund --loglevel=error

install-dev: install  ## plus test tools and Debian's Chromium for the browser tests
	$(PYTHON) -m pip install --quiet -e ".[dev]"
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null)

run: install  ## start the web app on http://127.0.0.1:8000 with the shipped model
	attnscope serve

lint:
	ruff check .
	ruff format --check .

typecheck:
	mypy

unit:
	$(PYTHON) -m pytest -m "not browser"

browser:
	$(PYTHON) -m pytest -m browser

test: install-dev lint typecheck  ## everything CI runs
	$(PYTHON) -m pytest

bench: install
	$(PYTHON) bench/run.py
