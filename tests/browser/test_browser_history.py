"""The history end to end: a fake-webcam practice set of a real squat clip ends, is saved for the
chosen patient, shows on the Progress page, and the clinician report downloads and renders.

The app runs with ``FORMCHECK_DB`` pointing at this test's own SQLite file.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from formcheck.history.store import HistoryStore
from tests.browser.conftest import serve_app
from tests.browser.dom import (
    button_in_frames,
    camera_stop,
    choose,
    metric,
    metric_int,
    wait_until,
)

PATIENT = "Browser Test"
LABELLED_REPS = 3  # the squat clip's labelled reps
REPS_TIMEOUT_S = 120


@pytest.mark.browser
@pytest.mark.slow
def test_a_practised_set_reaches_the_progress_page_and_the_report(
    page: Any,
    browser_requirements: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    screenshot: Callable[[Any, str], Path],
    record_property: Callable[[str, object], None],
) -> None:
    pdftoppm, pdftotext = shutil.which("pdftoppm"), shutil.which("pdftotext")
    if pdftoppm is None or pdftotext is None:
        pytest.skip("poppler-utils is not installed (pdftoppm, pdftotext)")
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    monkeypatch.setenv("FORMCHECK_DB", db_url)  # the server inherits it
    with HistoryStore(db_url) as store:
        store.add_patient(PATIENT)
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()

    with serve_app(tmp_path, server_tmp) as (url, _process):
        started = time.monotonic()
        page.goto(f"{url}/")
        page.get_by_text("Where to put the laptop").wait_for()
        choose(page, "Whose history", PATIENT)
        choose(page, "Exercise", "Box squat")
        page.get_by_text("Set-up: Box squat").wait_for()
        button_in_frames(page, "START", timeout_s=90).click()

        def reps_reached() -> int | None:
            count = metric_int(page, "Reps")
            return count if count is not None and count >= LABELLED_REPS else None

        assert wait_until(reps_reached, REPS_TIMEOUT_S, "three reps") == LABELLED_REPS
        # STOP pauses the set; "Finish session" ends it, and the end is when it is saved.
        camera_stop(page).click()
        page.get_by_role("button", name="Finish session").click()
        page.get_by_text(f"Saved to {PATIENT}'s history.").wait_for(timeout=30_000)
        record_property("set_saved_after_s", round(time.monotonic() - started, 1))

        page.get_by_role("link", name="Progress").first.click()
        page.get_by_text("One session so far").wait_for(timeout=30_000)
        assert metric(page, "Reps") == f"{LABELLED_REPS} of 10"
        assert metric(page, "Sets done this week") == "1 of 21"
        # Drawn, not loading: with one session the only plot is the faults found, if any.
        drawn = page.locator(".js-plotly-plot").or_(page.get_by_text("No faults found in this"))
        drawn.first.wait_for(timeout=30_000)
        screenshot(page, "progress.png")

        page.get_by_role("button", name="Make the clinician report (PDF)").click()
        download_button = page.get_by_role("button", name="Download the report (PDF)")
        download_button.wait_for(timeout=60_000)
        with page.expect_download() as download:
            download_button.click()
        pdf = tmp_path / "report.pdf"
        download.value.save_as(pdf)

    with HistoryStore(db_url) as store:
        (saved,) = store.sessions()
    assert (saved.patient_name, saved.source, saved.reps_done) == (PATIENT, "practice", 3)

    subprocess.run(
        [pdftoppm, "-f", "1", "-l", "1", "-r", "60", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (first_page,) = tmp_path.glob("page-*1.png")
    assert first_page.stat().st_size > 10_000
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True)
    flat = " ".join(text.stdout.split())
    assert f"Exercise report: {PATIENT}" in flat
    assert "1 session of 1 exercise" in flat and "Box squat" in flat
    record_property("test_s", round(time.monotonic() - started, 1))
