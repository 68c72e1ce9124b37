"""The history end to end: two fake-webcam practice sets of a real squat clip end and are saved for
the chosen patient (the second one recorded), the app is stopped and started again, both sets
show on the Progress page, and the clinician report downloads and renders.

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
def test_two_practised_sets_survive_a_restart_and_reach_the_progress_page_and_the_report(
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
        for number in (1, 2):
            if number == 2:
                # scenario: the next set is recorded (the switch is set before START)
                page.get_by_text("Record my video of this set").click()
                page.get_by_text("saved on this computer only").first.wait_for(timeout=30_000)
            button_in_frames(page, "START", timeout_s=90).click()
            # START after a finished set begins a new one: its count starts again from 0.
            wait_until(lambda: metric_int(page, "Reps") == 0, 60, "a new set at 0 reps")

            def reps_reached() -> int | None:
                count = metric_int(page, "Reps")
                return count if count is not None and count >= LABELLED_REPS else None

            assert wait_until(reps_reached, REPS_TIMEOUT_S, "three reps") == LABELLED_REPS
            # STOP pauses the set; "Finish session" ends it, and the end is when it is saved.
            camera_stop(page).click()
            page.get_by_role("button", name="Finish session").click()
            page.get_by_text(f"Saved to {PATIENT}'s history.").wait_for(timeout=30_000)
            record_property(f"set_{number}_saved_after_s", round(time.monotonic() - started, 1))

    # scenario: the app is stopped and started again; the history is still there
    with serve_app(tmp_path, server_tmp) as (url, _process):
        page.goto(f"{url}/")
        page.get_by_text("Where to put the laptop").wait_for()
        choose(page, "Whose history", PATIENT)
        page.get_by_role("link", name="Progress").first.click()
        page.get_by_text("Box squat: 2 sessions").first.wait_for(timeout=30_000)
        assert metric(page, "Sets done this week") == "2 of 21"
        page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # two sessions: trends
        screenshot(page, "progress.png")

        page.get_by_role("button", name="Make the clinician report (PDF)").click()
        download_button = page.get_by_role("button", name="Download the report (PDF)")
        download_button.wait_for(timeout=60_000)
        with page.expect_download() as download:
            download_button.click()
        pdf = tmp_path / "report.pdf"
        download.value.save_as(pdf)

    with HistoryStore(db_url) as store:
        first, second = store.sessions()
    for saved in (first, second):
        assert (saved.patient_name, saved.source, saved.reps_done) == (PATIENT, "practice", 3)
    assert first.recording_path is None
    assert second.recording_path is not None and Path(second.recording_path).stat().st_size > 0

    subprocess.run(
        [pdftoppm, "-f", "1", "-l", "1", "-r", "60", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (first_page,) = tmp_path.glob("page-*1.png")
    assert first_page.stat().st_size > 10_000
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True)
    flat = " ".join(text.stdout.split())
    assert f"Exercise report: {PATIENT}" in flat
    assert "2 sessions of 1 exercise" in flat and "Box squat" in flat
    record_property("test_s", round(time.monotonic() - started, 1))
