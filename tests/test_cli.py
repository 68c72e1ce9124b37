"""The command line: bad input gives one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from formcheck.results import result_schema
from tests.support.paths import CLIPS_DIR


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _single_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("formcheck: error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture
def not_a_video(tmp_path: Path) -> Path:
    p = tmp_path / "notes.mp4"
    p.write_text("this is a shopping list, not a video\n")
    return p


@pytest.fixture
def empty_file(tmp_path: Path) -> Path:
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    return p


@pytest.fixture
def truncated_video(tmp_path: Path) -> Path:
    """A real MP4 (index at the start) cut to 60% of its bytes, as a failed copy leaves it."""
    import av
    import numpy as np

    full = tmp_path / "full.mp4"
    with av.open(str(full), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(30):
            f = av.VideoFrame.from_ndarray(
                rng.integers(0, 255, (64, 64, 3), np.uint8), format="rgb24"
            )
            for pkt in s.encode(f):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    cut = tmp_path / "truncated.mp4"
    data = full.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])
    return cut


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "no such file"),
        ("not_a_video", "is not a readable video"),
        ("empty", "is not a readable video"),
        ("truncated", "truncated"),
        ("folder", "is a folder"),
    ],
)
def test_bad_video_input(case, expected, tmp_path, not_a_video, empty_file, truncated_video):
    path = {
        "missing": tmp_path / "nope.mp4",
        "not_a_video": not_a_video,
        "empty": empty_file,
        "truncated": truncated_video,
        "folder": tmp_path,
    }[case]
    line = _single_error_line(run_cli("analyze", str(path), "--exercise", "box_squat"))
    assert expected in line


def test_unknown_exercise(tmp_path):
    line = _single_error_line(run_cli("analyze", str(tmp_path / "x.mp4"), "--exercise", "moonwalk"))
    assert "unknown exercise 'moonwalk'" in line


def test_evaluate_refuses_a_folder_without_labels_and_points_rendered_clips_elsewhere(
    tmp_path: Path,
) -> None:
    # scenario: an empty folder: the labels file is named
    line = _single_error_line(run_cli("evaluate", str(tmp_path)))
    assert "no manifest.json" in line and "tools.synth" not in line
    # scenario: rendered clips with truth files: scored by the checkout's tooling, not here
    (tmp_path / "clip.truth.json").write_text("{}")
    line = _single_error_line(run_cli("evaluate", str(tmp_path)))
    assert "python -m tools.synth evaluate" in line


def test_invalid_spec_folder(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: broken\nkind: reps\nsurprise: 1\n")
    proc = run_cli("validate-specs", str(tmp_path))
    assert proc.returncode == 2
    assert "broken.yaml: surprise: unknown key" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_validate_specs_passes_on_the_shipped_specs():
    proc = run_cli("validate-specs")
    assert proc.returncode == 0, proc.stderr
    assert "specs valid" in proc.stdout


def test_list_exercises_names_core_ids():
    proc = run_cli("list-exercises")
    assert proc.returncode == 0
    for ex in ("hip_hinge", "box_squat", "clamshell", "glute_bridge"):
        assert ex in proc.stdout


@pytest.mark.slow
def test_analyze_real_clip_writes_valid_json_and_replays(tmp_path, model_path):
    clip = CLIPS_DIR / "squat_barbell_back_side.mp4"
    if not clip.exists():
        pytest.skip(f"real clips not available: {CLIPS_DIR} is absent")
    out, lms, video = tmp_path / "r.json", tmp_path / "r.npz", tmp_path / "r.mp4"
    proc = run_cli(
        "analyze",
        str(clip),
        "--exercise",
        "box_squat",
        "--json",
        str(out),
        "--save-landmarks",
        str(lms),
        "--annotate",
        str(video),
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, result_schema())
    assert data["reps"]["count"] == 3
    assert data["frames_with_pose"] > 0.9 * data["frames"]
    # The annotated video is a real, decodable video of the same length.
    from formcheck.source.video import probe

    info = probe(video)
    assert abs(info.duration_s - data["duration_s"]) < 0.5
    # Replaying the saved landmarks without the model gives the same result.
    replay = tmp_path / "replay.json"
    proc = run_cli("analyze", str(lms), "--exercise", "box_squat", "--json", str(replay))
    assert proc.returncode == 0, proc.stderr
    again = json.loads(replay.read_text())
    assert again["reps"] == data["reps"]
    assert again["faults"] == data["faults"]
