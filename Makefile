# The two commands of the README: `make run` (embedded defaults, demo data) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python 3.12+ on this machine (pyenv's shims honour .python-version).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/exchange)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: help run test lint typecheck migrations-check pytest system-deps clean

help:
	@echo "make run   - serve the portal on http://127.0.0.1:$(PORT) with SQLite and demo data"
	@echo "make test  - lint, type checks, migrations check and the whole test suite (PostgreSQL, Redis)"

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed: install it or set PYTHON=/path/to/python3.12"; exit 1; }
	@echo "Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: export DEBUG ?= 1
run: $(BIN)/.installed
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_reference -v0
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py ensure_admin --url http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py ensure_demo_users --url http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py search_catch_up
	$(BIN)/python manage.py matching_refresh
	@# The manual served at /help/ (docs/, mkdocs.yml).
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build -q -d var/help-site
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Debian's Chromium drives the browser tests; as root it is installed here when missing.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
		else echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }
	@# WeasyPrint (the PDF of reports) needs the system's Pango.
	@dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0; \
		else echo "PDF reports need Pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; exit 1; fi; }

lint: $(BIN)/.installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(BIN)/.installed
	DEBUG=1 $(BIN)/mypy .

migrations-check: $(BIN)/.installed
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(BIN)/.installed system-deps
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest

test: lint typecheck migrations-check pytest

clean:
	rm -rf $(VENV) var/staticfiles .mypy_cache .ruff_cache .pytest_cache
