# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup model lint typecheck fast clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e . --group dev
	touch $(STAMP)

setup: $(STAMP) model

# The pose model goes to the per-user cache (never into git): downloaded and checked against a
# pinned sha256, or built from the mediapipe 0.10.21 wheel on PyPI when offline.
model: $(STAMP)
	$(BIN)/formcheck models install

run: setup
	$(BIN)/streamlit run app.py

lint: $(STAMP)
	$(BIN)/ruff check formcheck tools tests app.py
	$(BIN)/mypy

test: setup lint
	$(BIN)/pytest -q -rs

fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow and not browser"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
