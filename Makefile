# The two commands of the README: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test browser bench safety-model

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps, so a second `make run` starts at once and a changed pyproject.toml reinstalls.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/madoguchi serve --simulator

# The chat-page and console tests drive Debian's Chromium (test tools cannot download browsers here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

test: $(VENV)/.installed-test browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# Rebuild flows/safety/model.json from tests/data/safety/train (after changing the corpus or
# flows/safety/rules.yaml; a test fails while the shipped model is stale).
safety-model: $(VENV)/.installed-test
	$(BIN)/python -m flows.safety.train

bench: $(VENV)/.installed-test
	$(BIN)/python bench/safety.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/salons.py
	$(BIN)/python bench/checkins.py
