#!/usr/bin/env bash
# The README's test command: install the project with its dev extra into .venv and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
.venv/bin/ruff check .
.venv/bin/mypy planner api scenarios
.venv/bin/python -m pytest -q -n 2 "$@"
