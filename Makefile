# The two commands of the README: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

$(BIN)/madoguchi: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install run test bench
install: $(BIN)/madoguchi

run: install
	$(BIN)/madoguchi serve

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/ingest.py
