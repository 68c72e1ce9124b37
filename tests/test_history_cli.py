"""``formcheck patients``, ``formcheck history`` and ``analyze --save-to-history``, run as the
user runs them (a subprocess): a round trip on SQLite and PostgreSQL, and bad input as one line
with exit status 2 that loses nothing already saved."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from formcheck.history.migrate import alembic_config
from formcheck.history.store import HistoryStore
from formcheck.landmarks import LandmarkSeries
from tests.factories import side_view_squat_frame
from tests.support.history import sample_context, sample_result
from tests.support.paths import REPO

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


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` but the database's own (which SQLite rewrites as it opens
    it; its contents are checked through the store), with its bytes."""
    return {
        p.name: p.read_bytes()
        for p in folder.iterdir()
        if p.is_file() and not p.is_symlink() and not p.name.startswith("history.sqlite3")
    } | {p.name: b"link" for p in folder.iterdir() if p.is_symlink()}


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
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
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
    # an export onto the database itself would replace every patient's history with one JSON
    ("export_json_over_database",
     ["history", "export", "--patient", "Anna", "--json", "DB", "--force"], None, None,
     "is an input of this command"),
    # ... or onto its write-ahead log, which holds the newest sets
    ("export_csv_over_wal",
     ["history", "export", "--patient", "Anna", "--csv", "DB-wal", "--force"], None, None,
     "is an input of this command"),
    # ... or its shared-memory index and rollback journal, existing or not
    ("export_over_shm", ["history", "export", "--patient", "Anna", "--json", "DB-shm", "--force"],
     None, None, "is an input of this command"),
    ("export_over_journal",
     ["history", "export", "--patient", "Anna", "--json", "DB-journal", "--force"], None, None,
     "is an input of this command"),
    # ... or through a symbolic link to it
    ("export_through_link_to_database",
     ["history", "export", "--patient", "Anna", "--json", "LINK", "--force"], None, None,
     "is an input of this command"),
    # analyze's JSON onto the database it saves to
    ("analyze_json_over_database",
     ["analyze", "CLIP", "--exercise", "box_squat", "--save-to-history", "--patient", "Anna",
      "--json", "DB", "--force"], None, None, "is an input of this command"),
    # analyze's outputs never replace the history, saving or not
    ("analyze_without_saving_over_database",
     ["analyze", "CLIP", "--exercise", "box_squat", "--json", "DB-wal", "--force"], None,
     None, "is an input of this command"),
    # the report onto the database
    ("report_over_database", ["report", "--patient", "Anna", "--pdf", "DB", "--force"], None,
     None, "is an input of this command"),
    # a backup onto the database it copies
    ("backup_over_database", ["history", "backup", "DB", "--force"], None, None,
     "is an input of this command"),
    # restoring the database onto itself
    ("restore_database_itself", ["history", "restore", "DB", "--yes"], None, None,
     "is the history database itself"),
    # restoring a file that is not a database
    ("restore_not_a_database", ["history", "restore", "EXISTING", "--yes"], None, None,
     "cannot be restored: file is not a database"),
    # restoring a backup that is not there
    ("restore_missing", ["history", "restore", "OUT", "--yes"], None, None, "no backup file"),
    # restoring without --yes and no terminal to ask on
    ("restore_needs_yes", ["history", "restore", "BACKUP"], None, None,
     "restoring a backup needs --yes when not run from a terminal"),
    # a PostgreSQL history is backed up with the server's tools: said how, nothing written
    ("backup_postgresql", ["history", "backup", "OUT"],
     "postgresql://u:secret@127.0.0.1:1/history", None, "pg_dump --format=custom"),
    ("restore_postgresql", ["history", "restore", "BACKUP", "--yes"],
     "postgresql://u:secret@127.0.0.1:1/history", None, "pg_restore"),
    # 20-digit ids, everywhere an id is taken
    ("show_huge_id", ["history", "show", "99999999999999999999"], None, None,
     "unknown session id 99999999999999999999"),
    ("list_huge_patient_id", ["history", "list", "--patient-id", "99999999999999999999"], None,
     None, "unknown patient id 99999999999999999999"),
    ("export_huge_patient_id",
     ["history", "export", "--patient-id", "99999999999999999999", "--json", "OUT"], None, None,
     "unknown patient id 99999999999999999999"),
    ("delete_huge_patient_id",
     ["history", "delete", "--patient", "#99999999999999999999", "--yes"], None, None,
     "unknown patient id 99999999999999999999"),
    ("report_huge_patient_id",
     ["report", "--patient-id", "99999999999999999999", "--pdf", "OUT"], None, None,
     "unknown patient id 99999999999999999999"),
    ("analyze_huge_patient_id",
     ["analyze", "CLIP", "--exercise", "box_squat", "--save-to-history", "--patient-id",
      "99999999999999999999", "--json", "OUT"], None, None,
     "unknown patient id 99999999999999999999"),
    # an id that is not a number
    ("patient_id_not_a_number", ["history", "list", "--patient-id", "two"], None, None,
     "a patient id is a number, not 'two'"),
    # an id given as a name finds no patient named so (a name is always a name)
    ("digits_are_a_name", ["history", "list", "--patient", "1"], None, None,
     "unknown patient '1'"),
    # dates at the ends of the calendar
    ("report_to_year_9999", ["report", "--patient", "Anna", "--to", "9999-12-31", "--pdf", "OUT"],
     None, None, "--to 9999-12-31 is out of range"),
    ("report_from_year_1",
     ["report", "--patient", "Anna", "--from", "0001-01-01", "--pdf", "OUT"], None, None,
     "--from 0001-01-01 is out of range"),
    # names that would hide or disguise what they say
    ("name_with_terminal_escape", ["patients", "add", "x\x1b]0;owned\x07"], None, None,
     "U+001B"),
    ("name_with_bidi_override", ["patients", "add", "Anna\u202eK"], None, None,
     "RIGHT-TO-LEFT OVERRIDE"),
    ("name_with_zero_width_space", ["patients", "add", "An\u200bna"], None, None,
     "ZERO WIDTH SPACE"),
    ("name_look_alike", ["patients", "add", "ANNA"], None, None, "would look like 'Anna'"),
    ("name_like_an_id", ["patients", "add", "#2"], None, None, "cannot start with '#'"),
    # a read-only history is found before the analysis writes anything
    ("read_only_history",
     ["analyze", "CLIP", "--exercise", "box_squat", "--save-to-history", "--patient", "Anna",
      "--json", "OUT"], "READ_ONLY", None, "attempt to write a readonly database"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "command", "url", "before", "expected"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT]
)
def test_bad_input_is_one_line_and_loses_nothing(
    tmp_path: Path, name: str, command: list[str], url: str | None, before, expected: str
) -> None:
    database = tmp_path / "history.sqlite3"
    db_url = f"sqlite:///{database}"
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna")
        kept = store.save_session(anna.id, sample_result(3), sample_context(3))
    if before is not None:
        before(db_url)
    clip = squat_landmarks(tmp_path / "squats.npz") if "CLIP" in command else None
    out, existing = tmp_path / "out.json", tmp_path / "existing.zip"
    existing.write_text("an earlier export")
    link = tmp_path / "link.json"
    link.symlink_to(database)
    backup = tmp_path / "backup.sqlite3"
    backup.write_bytes(database.read_bytes())
    paths = {
        "CLIP": str(clip), "OUT": str(out), "EXISTING": str(existing), "LINK": str(link),
        "DB": str(database), "DB-wal": f"{database}-wal", "DB-shm": f"{database}-shm",
        "DB-journal": f"{database}-journal", "BACKUP": str(backup),
    }  # fmt: skip
    args = [paths.get(a, a) for a in command]
    if url == "READ_ONLY":
        url = f"sqlite:///file:{database}?mode=ro&uri=true"
    before_files = snapshot(tmp_path)
    line = single_error_line(run_cli(url or db_url, *args))
    assert expected in line
    assert "secret" not in line
    assert not out.exists()
    assert existing.read_text() == "an earlier export"
    assert snapshot(tmp_path) == before_files  # no stray file, no input changed
    if before is _newer_schema:
        _restore_schema(db_url)
    with HistoryStore(db_url) as store:
        assert [p.name for p in store.patients()] == ["Anna"]
        assert store.session(kept).reps_done == len(sample_result(3)["reps"]["events"])


def test_backup_and_restore_bring_back_every_session(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'data' / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna")
        for i in range(3):
            store.save_session(anna.id, sample_result(i), sample_context(i))
        before = [(s.id, s.reps_done, s.faults) for s in store.sessions()]
    out = tmp_path / "backup.sqlite3"
    made = run_cli(db_url, "history", "backup", str(out))
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"backed up the history (1 patients, 3 sessions) to {out}"
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)
    assert not Path(f"{out}-wal").exists()  # one file: a rollback-journal database
    assert run_cli(db_url, "history", "delete", "--patient", "Anna", "--yes").returncode == 0
    assert run_cli(db_url, "patients", "add", "Ben").returncode == 0
    restored = run_cli(db_url, "history", "restore", str(out), "--yes")
    assert restored.returncode == 0, restored.stderr
    with HistoryStore(db_url) as store:
        assert [p.name for p in store.patients()] == ["Anna"]
        assert [(s.id, s.reps_done, s.faults) for s in store.sessions()] == before
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.sqlite3", "data"]


def _ask_on_a_terminal(db_url: str, answer: str, *args: str) -> tuple[int, str]:
    """Run the command with a real terminal as its input and output, answer its question."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck.cli", *args],
        stdin=follower, stdout=follower, stderr=follower,
        env={**os.environ, "FORMCHECK_DB": db_url},
    )  # fmt: skip
    os.close(follower)
    seen = b""
    while b"[y/N]" not in seen:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            proc.kill()
            pytest.fail(f"no question within 60 s; the terminal showed {seen!r}")
        chunk = os.read(leader, 1024)
        assert chunk, seen
        seen += chunk
    os.write(leader, answer.encode() + b"\n")
    code = proc.wait(timeout=120)
    try:
        while chunk := os.read(leader, 1024):
            seen += chunk
    except OSError:  # the terminal closed with the process
        pass
    os.close(leader)
    return code, seen.decode()


def test_a_patient_named_with_digits_is_deleted_by_name_and_the_prompt_says_which(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        store.add_patient("Anna")
        ben = store.add_patient("Ben")  # id 2
        named_two = store.add_patient("2")  # id 3
        store.save_session(ben.id, sample_result(1), sample_context(1))
    code, screen = _ask_on_a_terminal(db_url, "n", "history", "delete", "--patient", "2")
    assert code == 2
    assert "Delete 2 (id 3) and all 0 of their sessions and recordings? [y/N]" in screen
    assert "formcheck: error: nothing changed" in screen
    code, screen = _ask_on_a_terminal(db_url, "y", "history", "delete", "--patient-id", "2")
    assert code == 0, screen
    assert "Delete Ben (id 2) and all 1 of their sessions" in screen
    assert "deleted Ben (id 2): 1 sessions, 0 recordings" in screen
    with HistoryStore(db_url) as store:
        assert [(p.id, p.name) for p in store.patients()] == [(named_two.id, "2"), (1, "Anna")]


def test_an_export_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna")
        store.save_session(anna.id, sample_result(1), sample_context(1))
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    out = tmp_path / "anna.json"
    for name in (f"{out.name}.partial", f".{out.name}.partial"):
        (tmp_path / name).symlink_to(victim)
    done = run_cli(db_url, "history", "export", "--patient", "Anna", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "someone else's file"
    assert json.loads(out.read_text())["patient"]["name"] == "Anna"
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)  # patient data: private
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("history"))
    assert names == sorted(["anna.json", "anna.json.partial", ".anna.json.partial", "victim.txt"])


def test_a_name_written_into_the_database_directly_is_printed_harmlessly(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        store.add_patient("Anna")
    engine = create_engine(db_url)
    with engine.begin() as conn:  # as any writer of a shared database could
        conn.execute(text("UPDATE patients SET name = :n"), {"n": "x\x1b]0;owned\x07\u202eY"})
    engine.dispose()
    listed = run_cli(db_url, "patients", "list")
    assert listed.returncode == 0, listed.stderr
    assert "\x1b" not in listed.stdout and "\u202e" not in listed.stdout
    assert "x\\u001b]0;owned\\u0007\\u202eY" in listed.stdout


def test_delete_leaves_and_lists_a_file_that_is_not_its_recording(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    victim = tmp_path / "thesis.docx"
    victim.write_text("not a recording")
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna")
        sid = store.save_session(anna.id, sample_result(1), sample_context(1))
    engine = create_engine(db_url)
    with engine.begin() as conn:  # a shared database's row can name any file
        conn.execute(
            text("UPDATE sessions SET recording_path = :p WHERE id = :id"),
            {"p": str(victim), "id": sid},
        )
    engine.dispose()
    deleted = run_cli(db_url, "history", "delete", "--patient", "Anna", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.splitlines() == [
        "deleted Anna (id 1): 1 sessions, 0 recordings",
        f"  not removed: {victim} (not a recording formcheck made in this patient's recordings "
        "folder)",
    ]
    assert victim.read_text() == "not a recording"


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root to run the command as another user (setpriv)",
)
def test_a_database_open_to_others_that_cannot_be_made_private_is_refused() -> None:
    # Another user's history, readable by everyone: formcheck run by someone else cannot
    # narrow it (only the owner can), so it refuses to use it rather than go on exposing it.
    folder = Path(tempfile.mkdtemp(prefix="formcheck-foreign-"))
    try:
        folder.chmod(0o755)
        database = folder / "history.sqlite3"
        with HistoryStore(f"sqlite:///{database}") as store:
            store.add_patient("Anna")
        database.chmod(0o644)
        before = database.read_bytes()
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        env = {
            **os.environ, "FORMCHECK_DB": f"sqlite:///{database}", "HOME": str(folder),
            "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1",
        }  # fmt: skip
        # A checkout (and its .venv) inside a private folder, such as a clone made under
        # `mktemp -d`, cannot be run by another user at all: nothing to test there.
        reachable = subprocess.run(
            [*nobody, sys.executable, "-c", "import formcheck.cli"],
            capture_output=True, env=env, cwd=folder, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if reachable.returncode != 0:
            pytest.skip("user nobody cannot run this checkout's Python (a private folder)")
        proc = subprocess.run(
            [*nobody, sys.executable, "-m", "formcheck.cli", "patients", "list"],
            capture_output=True, text=True, env=env, cwd=folder, timeout=120,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        line = single_error_line(proc)
        assert "can be read by other users (mode 644) and cannot be made private" in line
        assert oct(database.stat().st_mode & 0o777) == oct(0o644)
        assert database.read_bytes() == before
    finally:
        shutil.rmtree(folder)
