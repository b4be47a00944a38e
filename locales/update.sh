#!/usr/bin/env bash
# Re-extract every translatable string and merge it into the shipped catalogs.
# Then translate what is new (tests/test_i18n.py fails while anything is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel -q extract -w 100 -F locales/babel.cfg -k _ -k N_ -k gettext:2 --no-location --sort-output \
    --project madoguchi -o locales/messages.pot .
pybabel -q update -w 100 -i locales/messages.pot -d locales --ignore-obsolete --no-fuzzy-matching
