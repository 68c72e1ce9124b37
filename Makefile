# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup model lint typecheck fast clean screenshots

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

# Everything but the browser tests on one worker per core, each taking whole test modules, so a
# module's session fixtures (the real clips' landmarks, a rendered set) are built once. The
# browser tests then run alone: they analyse a live webcam stream in real time, and with every
# core busy beside them the live analysis falls behind and a count can be missed.
test: setup lint
	$(BIN)/pytest -q -rs -n auto --dist loadscope --ignore=tests/browser
	$(BIN)/pytest -q -rs tests/browser

# The engine without the model or any video (committed landmark files and synthetic people):
# about 20 s, for a quick check while changing the engine or a spec.
fast: $(STAMP)
	$(BIN)/pytest -q tests/test_goldens.py tests/test_engine.py tests/test_engine_checks.py \
		tests/test_settle.py tests/test_geometry.py tests/test_specs.py \
		tests/test_counting_real_people.py tests/test_programs.py tests/test_selection.py \
		tests/test_back_curve.py

# The README's pictures of each page (docs/screenshots/*.png), taken by the browser tests that
# show them; the tests alone write theirs to a throwaway folder and leave the checkout untouched.
screenshots: setup
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
