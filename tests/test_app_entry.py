"""The Streamlit entry page renders and offers every exercise (headless, no browser)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from formcheck.specs.loader import load_all_specs


def test_entry_page_lists_every_exercise():
    app = Path(__file__).resolve().parents[1] / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60).run()
    assert not at.exception
    options = at.selectbox[0].options
    assert len(options) == len(load_all_specs())
    assert any("Box squat" in o for o in options)
