# Wufei: `make run` runs the bot, `make test` runs the whole test suite.
# Both bootstrap what they need: a virtual environment, dependencies, compiled translations.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two processes for the whole suite (a file's tests stay together); PYTEST_ARGS runs exactly what it says.
PARALLEL := -n 2 --dist loadfile
PO := $(wildcard bot/locales/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint i18n bench clean

run: $(STAMP) $(MO)
	$(BIN)/python main.py run

# Static checks first: lint errors fail `make test` (and CI) before any test runs.
# With no PYTEST_ARGS, the date-sensitive tests first run on a clock 400 days ahead in another zone.
test: $(STAMP) $(MO) lint
	@bash scripts/test-bootstrap.sh
	@if [ -z "$(PYTEST_ARGS)" ]; then bash scripts/test-shifted-clock.sh; fi
	$(BIN)/python -m pytest $(or $(PYTEST_ARGS),$(PARALLEL))

# ruff (lint rules and formatting) over the repo, mypy over the packages; settings in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Wufei needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# For developers: re-extract message ids after changing user-facing text, then translate the .po files.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k __ -k N_ -k gettext_for:2 --no-location --sort-output --omit-header -o bot/locales/messages.pot .
	$(BIN)/pybabel update -i bot/locales/messages.pot -d bot/locales -D messages --no-fuzzy-matching --ignore-obsolete

bench: $(STAMP)
	$(BIN)/python bench/kb_eval.py --holdout 10
	$(BIN)/python bench/kb_coverage.py
	$(BIN)/python bench/broadcast.py --quick

clean:
	rm -rf $(VENV) bot/locales/*/LC_MESSAGES/*.mo
