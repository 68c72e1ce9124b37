"""``formcheck patients``, ``formcheck history`` and ``analyze --save-to-history``, run as the
user runs them (a subprocess): a round trip on SQLite and PostgreSQL, and bad input as one line
with exit status 2 that loses nothing already saved."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from formcheck.history.store import HistoryStore
from formcheck.landmarks import LandmarkSeries
from tests.factories import side_view_squat_frame
from tests.postgres import Cluster
from tests.support.history import sample_context, sample_result

FPS = 30.0


def run_cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORMCHECK_DB": db_url}
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def single_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcheck: error: "), proc.stderr
    return lines[0]


def squat_landmarks(path: Path) -> Path:
    """Three side-on squats (knees 5 -> 90 -> 5 deg) saved as a landmark file for replay."""
    keys = [(0.0, 5.0), (1.5, 5.0)]
    for _ in range(3):
        t = keys[-1][0]
        keys += [(t + 1.0, 90.0), (t + 1.5, 90.0), (t + 2.5, 5.0), (t + 3.5, 5.0)]
    times, frames = [], []
    for k in range(int(keys[-1][0] * FPS) + 1):
        t = k / FPS
        (t0, v0), (t1, v1) = next((a, b) for a, b in itertools.pairwise(keys) if t <= b[0])
        value = v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1
        times.append(t)
        frames.append(side_view_squat_frame(t, value))
    LandmarkSeries.from_frames(times, frames, (800, 1000), "squats").save(path)
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database()


def test_a_clip_saved_from_analyze_can_be_listed_shown_exported_and_deleted(
    db_url: str, tmp_path: Path
) -> None:
    clip = squat_landmarks(tmp_path / "squats.npz")
    added = run_cli(db_url, "patients", "add", "Anna K")
    assert added.returncode == 0 and added.stdout.strip() == "patient 1: Anna K", added.stderr

    result_json = tmp_path / "result.json"
    analysed = run_cli(
        db_url, "analyze", str(clip), "--exercise", "box_squat", "--json", str(result_json),
        "--save-to-history", "--patient", "Anna K",
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    assert "saved to history: session 1 for Anna K" in analysed.stdout
    data = json.loads(result_json.read_text())
    assert data["reps"]["count"] == 3

    with HistoryStore(db_url) as store:
        (saved,) = store.sessions()
    assert (saved.source, saved.exercise, saved.clip) == ("cli", "box_squat", "squats.npz")
    assert [r.index for r in saved.reps] == [e["index"] for e in data["reps"]["events"]]
    assert [r.measures for r in saved.reps] == [e["measures"] for e in data["reps"]["events"]]
    assert saved.reps_good + saved.reps_faulty == 3
    assert saved.cannot_judge_share == pytest.approx(1 - data["assessable_fraction"], abs=1e-3)

    listed = run_cli(db_url, "history", "list", "--patient-id", "1")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    assert "Anna K  box_squat  cli" in line and "reps 3/" in line

    shown = run_cli(db_url, "history", "show", str(saved.id))
    assert shown.returncode == 0, shown.stderr
    assert sum(ln.strip().startswith("rep ") for ln in shown.stdout.splitlines()) == 3

    out_json, out_zip = tmp_path / "anna.json", tmp_path / "anna.zip"
    exported_json = run_cli(
        db_url, "history", "export", "--patient", "Anna K", "--json", str(out_json)
    )
    assert exported_json.returncode == 0, exported_json.stderr
    exported = json.loads(out_json.read_text())
    assert [s["id"] for s in exported["sessions"]] == [saved.id]
    exported_csv = run_cli(db_url, "history", "export", "--patient", "#1", "--csv", str(out_zip))
    assert exported_csv.returncode == 0, exported_csv.stderr
    reps_csv = zipfile.ZipFile(out_zip).read("reps.csv").decode()
    assert len(list(csv.DictReader(io.StringIO(reps_csv)))) == 3

    deleted = run_cli(db_url, "history", "delete", "--patient", "Anna K", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == "deleted Anna K (id 1): 1 sessions, 0 recordings"
    assert run_cli(db_url, "history", "list").stdout.strip() == "no sessions saved"
    assert "no patients yet" in run_cli(db_url, "patients", "list").stdout


def _newer_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()


def _restore_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()


# (scenario, command (CLIP: a landmark file, OUT: a new output path, EXISTING: a file already
# there), database URL or None for the prepared one, a step before the command, expected words
# in the error line)
BAD_INPUT = [
    # a patient nobody added
    ("unknown_patient", ["history", "list", "--patient", "Zoe"], None, None,
     "unknown patient 'Zoe'"),
    # a session that was never saved
    ("unknown_session", ["history", "show", "99"], None, None, "unknown session 99"),
    # a session id that is not a number
    ("session_not_a_number", ["history", "show", "last"], None, None,
     "a session id is a number, not 'last'"),
    # export for a patient nobody added
    ("export_unknown_patient", ["history", "export", "--patient", "Zoe", "--json", "OUT"], None,
     None, "unknown patient 'Zoe'"),
    # an export over a file already there
    ("export_would_replace",
     ["history", "export", "--patient", "Anna", "--csv", "EXISTING"], None, None,
     "already exists; pass --force to replace it"),
    # delete without --yes and no terminal to ask on
    ("delete_needs_yes", ["history", "delete", "--patient", "Anna"], None, None,
     "needs --yes when not run from a terminal"),
    # a name already taken
    ("duplicate_patient", ["patients", "add", "Anna"], None, None,
     "a patient named 'Anna' already exists"),
    # no server at this address; the password is not shown
    ("unreachable_database", ["history", "list"], "postgresql://u:secret@127.0.0.1:1/history",
     None, "cannot open the history database postgresql://u:***@127.0.0.1:1/history"),
    # a database a newer formcheck wrote
    ("newer_schema", ["history", "list"], None, _newer_schema,
     "this history was written by a newer formcheck"),
    # saving with no patient named
    ("save_without_patient",
     ["analyze", "CLIP", "--exercise", "box_squat", "--save-to-history", "--json", "OUT"], None,
     None, "--save-to-history needs --patient NAME or --patient-id N"),
    # saving for an unknown patient fails before the analysis writes anything
    ("save_unknown_patient",
     ["analyze", "CLIP", "--exercise", "box_squat", "--save-to-history", "--patient", "Zoe",
      "--json", "OUT"], None, None, "unknown patient 'Zoe'"),
    # --patient alone would silently save nothing
    ("patient_without_save", ["analyze", "CLIP", "--exercise", "box_squat", "--patient", "Anna"],
     None, None, "--patient is only used with --save-to-history"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "command", "url", "before", "expected"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT]
)
def test_bad_input_is_one_line_and_loses_nothing(
    tmp_path: Path, name: str, command: list[str], url: str | None, before, expected: str
) -> None:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna")
        kept = store.save_session(anna.id, sample_result(3), sample_context(3))
    if before is not None:
        before(db_url)
    clip = squat_landmarks(tmp_path / "squats.npz") if "CLIP" in command else None
    out, existing = tmp_path / "out.json", tmp_path / "existing.zip"
    existing.write_text("an earlier export")
    paths = {"CLIP": str(clip), "OUT": str(out), "EXISTING": str(existing)}
    args = [paths.get(a, a) for a in command]
    line = single_error_line(run_cli(url or db_url, *args))
    assert expected in line
    assert "secret" not in line
    assert not out.exists()
    assert existing.read_text() == "an earlier export"
    if before is _newer_schema:
        _restore_schema(db_url)
    with HistoryStore(db_url) as store:
        assert [p.name for p in store.patients()] == ["Anna"]
        assert store.session(kept).reps_done == len(sample_result(3)["reps"]["events"])
