"""The Review and Exercise library pages in a real browser: upload, analyse, read the tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from formcheck.specs.loader import load_all_specs
from tests.browser.conftest import SQUAT_CLIP
from tests.browser.dom import choose, metric_int

LABELLED_REPS = 3  # manifest.json label of the squat clip
ANALYSIS_TIMEOUT_MS = 300_000  # an 8.5 s clip takes ~15 s here; CI machines can be far slower


@pytest.mark.browser
def test_review_upload_shows_reps_table(
    page: Any, app_url: str, screenshot: Callable[[Any, str], Path]
) -> None:
    page.goto(f"{app_url}/review")
    page.get_by_text("Review a recording").first.wait_for()
    choose(page, "Exercise", "Box squat")
    # With sample videos present the page offers them first; this test uploads a clip.
    upload_option = page.get_by_text("Upload a clip", exact=True)
    if upload_option.count():
        upload_option.first.click()
    page.locator('input[type="file"]').set_input_files(str(SQUAT_CLIP))
    # The clip is decoded as soon as it arrives and described in a caption.
    page.get_by_text(f"{SQUAT_CLIP.name}:").wait_for(timeout=60_000)

    page.get_by_role("button", name="Analyse").click()
    table = page.get_by_test_id("stTable").filter(has_text="Peak knee flexion")
    table.wait_for(timeout=ANALYSIS_TIMEOUT_MS)

    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    for column in ("Rep", "Start (s)", "End (s)", "Result", "Faults"):
        assert column in headers
    rows = table.locator("tbody tr").count()
    reps = metric_int(page, "Reps")
    assert rows == reps, f"the table lists {rows} reps but the Reps metric says {reps}"
    assert rows == LABELLED_REPS, f"the clip has {LABELLED_REPS} reps; the table lists {rows}"
    page.get_by_role("button", name="Result (JSON)").wait_for()
    page.get_by_role("button", name="Angles per frame (CSV)").wait_for()
    page.get_by_role("button", name="Annotated video (MP4)").wait_for()
    page.get_by_test_id("stVideo").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    screenshot(page, "review.png")


@pytest.mark.browser
def test_library_lists_every_exercise(
    page: Any, app_url: str, screenshot: Callable[[Any, str], Path]
) -> None:
    page.goto(f"{app_url}/library")
    page.get_by_text("Exercise library").first.wait_for()
    for spec in load_all_specs().values():
        page.get_by_text(spec.title, exact=False).first.wait_for()
    screenshot(page, "library.png")
