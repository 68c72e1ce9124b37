"""Review page under AppTest (rendering, bad uploads, a real analysis) and its helpers."""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from formcheck.analyze import Analysis, replay_series
from formcheck.landmarks import LandmarkSeries, PoseFrame
from formcheck.specs.loader import load_spec
from formcheck.ui.plots import timeline_figure
from formcheck.ui.review import (
    MAX_UPLOAD_MB,
    fault_rows,
    frames_csv,
    hold_rows,
    hold_totals,
    list_samples,
    not_assessed,
    prune_uploads,
    rep_rows,
    signal_label,
    upload_dir,
    upload_problem,
)
from tests.factories import side_view_squat_frame
from tests.test_app_live import FPS, squat_knee_deg

PAGE = "from formcheck.ui.review_page import render\nrender()\n"
REPO = Path(__file__).resolve().parents[1]
SQUAT_CLIP = REPO.parent / "shared" / "clips" / "squat_barbell_back_side.mp4"


@pytest.fixture
def no_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "samples"
    folder.mkdir()
    monkeypatch.setenv("FORMCHECK_SAMPLES_DIR", str(folder))
    # Uploads go to the temporary folder; keep this test's out of the real one.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return folder


def page() -> AppTest:
    return AppTest.from_string(PAGE, default_timeout=60)


def test_renders_without_samples(no_samples: Path) -> None:
    at = page().run()
    assert not at.exception
    assert at.title[0].value == "Review a recording"
    assert any("No sample videos" in c.value for c in at.caption)
    assert len(at.file_uploader) == 1
    assert not at.radio, "no sample/upload choice when there are no samples"
    assert not at.button, "nothing to analyse before a clip is chosen"


def test_rejects_a_file_that_is_not_a_video(no_samples: Path) -> None:
    at = page().run()
    at.file_uploader[0].set_value(("notes.mp4", b"this is a shopping list", "video/mp4")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("This file cannot be analysed: notes.mp4 is not a readable video")
    assert "Errno" not in errors[0] and "/tmp" not in errors[0]
    assert not at.button


def test_rejects_a_file_of_the_wrong_type(no_samples: Path) -> None:
    at = page().run()
    at.file_uploader[0].set_value(("knee.jpg", b"\xff\xd8\xff", "image/jpeg")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "knee.jpg is a .jpg file; upload a video file (mp4, mov, webm, avi, mkv)."
    ]


@pytest.mark.parametrize(
    ("name", "size", "problem"),
    [
        ("squat.mp4", 5_000_000, None),
        ("SQUAT.MOV", 5_000_000, None),
        ("squat.mkv", MAX_UPLOAD_MB * 1024 * 1024, None),
        ("squat.mp4", MAX_UPLOAD_MB * 1024 * 1024 + 1, "squat.mp4 is 200 MB; the limit is 200 MB."),
        ("squat.mp4", 0, "squat.mp4 is empty (0 bytes)."),
        ("squat", 10, "squat has no file extension"),
        ("squat.gif", 10, "squat.gif is a .gif file"),
    ],
)
def test_upload_problem(name: str, size: int, problem: str | None) -> None:
    found = upload_problem(name, size)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_prune_uploads_by_age(tmp_path: Path) -> None:
    old, fresh, kept = (tmp_path / n for n in ("old.mp4", "fresh.mp4", "kept.mp4"))
    for path in (old, fresh, kept):
        path.write_bytes(b"x")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    os.utime(kept, (hours_ago, hours_ago))
    assert prune_uploads(tmp_path, max_age_s=3600, keep=kept) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.mp4", "kept.mp4"]


def test_upload_is_saved_once_and_replaced(no_samples: Path) -> None:
    at = page().run()
    at.file_uploader[0].set_value(("a.mp4", b"first", "video/mp4")).run()
    first = Path(at.session_state["review_upload_path"])
    assert first.read_bytes() == b"first" and first.parent == upload_dir()
    at.file_uploader[0].set_value(("b.mp4", b"second", "video/mp4")).run()
    second = Path(at.session_state["review_upload_path"])
    assert second != first and not first.exists() and second.read_bytes() == b"second"
    second.unlink()
    at.run()  # a pruned clip still shown by the page is written again from the upload
    assert second.read_bytes() == b"second"
    second.unlink()


def test_samples_are_offered_when_present(no_samples: Path) -> None:
    (no_samples / "b_squat.mp4").write_bytes(b"x")
    (no_samples / "a_bridge.MOV").write_bytes(b"x")
    (no_samples / "notes.txt").write_text("not a video")
    (no_samples / ".hidden.mp4").write_bytes(b"x")
    assert [p.name for p in list_samples(no_samples)] == ["a_bridge.MOV", "b_squat.mp4"]
    assert list_samples(no_samples / "absent") == []
    at = page().run()
    assert not at.exception
    assert at.radio[0].value == "Use a sample video"
    chosen = at.selectbox(key="review_sample").value
    assert chosen is not None and chosen.name == "a_bridge.MOV"


@pytest.mark.slow
def test_analyses_a_sample_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SQUAT_CLIP.exists():
        pytest.skip(f"real clips not available: {SQUAT_CLIP} is absent")
    from formcheck.pose.model_store import ModelInstallError, resolve_model

    try:
        resolve_model()
    except ModelInstallError as exc:
        pytest.skip(f"pose model not installed: {exc}")
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / SQUAT_CLIP.name).symlink_to(SQUAT_CLIP)  # linked, never copied
    monkeypatch.setenv("FORMCHECK_SAMPLES_DIR", str(samples))
    at = AppTest.from_string(PAGE, default_timeout=600).run()
    assert at.selectbox(key="review_exercise").value == "box_squat"
    at.button(key="review_analyse").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    reps = int(metrics["Reps"])
    assert reps >= 1
    table = next(t.value for t in at.table if "Result" in t.value.columns)
    assert len(table) == reps
    labels = [getattr(b, "label", None) for b in at.get("download_button")]
    assert labels == ["Result (JSON)", "Angles per frame (CSV)", "Annotated video (MP4)"]
    assert len(at.get("video")) == 1 and len(at.get("plotly_chart")) == 1


# -- helpers on a synthetic analysis ------------------------------------------------------------


@pytest.fixture(scope="module")
def squat_analysis() -> Analysis:
    t = [i / FPS for i in range(12 * FPS)]
    frames: list[PoseFrame | None] = [side_view_squat_frame(ts, squat_knee_deg(ts)) for ts in t]
    frames[5] = None  # one frame without a person
    series = LandmarkSeries.from_frames(t, frames, (800, 1000), "synthetic")
    return replay_series(load_spec("box_squat"), series)


def test_rep_rows(squat_analysis: Analysis) -> None:
    rows = rep_rows(load_spec("box_squat"), squat_analysis.result, squat_analysis.states)
    assert [r["Rep"] for r in rows] == [1, 2, 3]
    assert all(r["Result"] == "Good" and r["Faults"] == "none" for r in rows)
    assert all(90 <= r["Peak knee flexion (deg)"] <= 96 for r in rows)
    assert all(
        r["Duration (s)"] == pytest.approx(r["End (s)"] - r["Start (s)"], abs=0.11) for r in rows
    )


def test_frames_csv_has_every_signal_per_frame(squat_analysis: Analysis) -> None:
    spec = load_spec("box_squat")
    text = frames_csv(spec, squat_analysis.states)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(squat_analysis.states)
    assert set(spec.signals) <= set(rows[0])
    assert rows[5]["reason"] == "no_person" and rows[5]["knee_flexion_deg"] == ""
    peak = max(float(r["knee_flexion_deg"]) for r in rows if r["knee_flexion_deg"])
    assert 90 < peak < 96
    assert rows[-1]["rep_count"] == "3"


def test_not_assessed(squat_analysis: Analysis) -> None:
    reasons = dict(not_assessed(squat_analysis.states))
    assert reasons["no_person"] == pytest.approx(1 / len(squat_analysis.states))
    assert not_assessed([]) == []


def test_timeline_shades_reps(squat_analysis: Analysis) -> None:
    spec = load_spec("box_squat")
    fig = timeline_figure(spec, squat_analysis.states, squat_analysis.result)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 3
    ys = fig.data[0].y
    assert ys[5] is None and not any(isinstance(v, float) and math.isnan(v) for v in ys)
    assert fig.layout.yaxis.title.text == "Knee flexion (deg)"


def test_hold_tables() -> None:
    from formcheck.engine.holds import Hold
    from formcheck.engine.rules import Fault
    from formcheck.engine.session import SessionResult

    spec = load_spec("supine_figure_four_stretch")
    result = SessionResult(
        exercise=spec.id,
        reps=[],
        holds=[
            Hold(1.0, 70.0, 65.0, "left"),
            Hold(80.0, 120.0, 40.0, "right"),
            Hold(130, 140, 9.5, "left"),
        ],
        faults=[Fault("pelvis_down", 100.0, 103.0, "error", "Keep your pelvis flat")],
        frames=10,
        frames_with_pose=10,
        assessable_frames=10,
        view="side",
        side="left",
    )
    rows = hold_rows(spec, result)
    assert [r["Reached 60 s"] for r in rows] == ["yes", "no", "no"]
    assert hold_totals(result) == [
        {"Side": "left", "Holds": 2, "Longest (s)": 65.0, "Total (s)": 74.5},
        {"Side": "right", "Holds": 1, "Longest (s)": 40.0, "Total (s)": 40.0},
    ]
    assert fault_rows(result)[0]["Check"] == "pelvis_down"
    fig = timeline_figure(spec, [], result)
    assert len(fig.layout.shapes) == 4  # three holds and one fault strip


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("knee_flexion_deg", "Knee flexion (deg)"),
        ("knee_valgus_thigh", "Knee valgus (thigh)"),
        ("hip_height_torso", "Hip height (torso)"),
    ],
)
def test_signal_label(name: str, label: str) -> None:
    assert signal_label(name) == label
