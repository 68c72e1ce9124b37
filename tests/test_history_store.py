"""The history store on SQLite and on a real PostgreSQL server: round trip, filters, bad input,
a newer schema, export and delete, a writer killed mid-run and two writers at once."""

from __future__ import annotations

import io
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from formcheck.history.database import data_folder, recordings_root
from formcheck.history.errors import HistoryError
from formcheck.history.export import csv_tables, patient_csv_zip, patient_json
from formcheck.history.from_result import SessionContext, context_for, session_row, spec_version
from formcheck.history.migrate import alembic_config
from formcheck.history.models import Base, PatientRow
from formcheck.history.records import StoredSession
from formcheck.history.store import HistoryStore
from formcheck.specs.loader import load_spec
from tests.postgres import Cluster
from tests.support.core import CORE_MODULES
from tests.support.history import BASE_TIME, sample_context, sample_result
from tests.support.paths import REPO


def _url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request.param, tmp_path, request)


@pytest.fixture
def store(db_url: str):
    with HistoryStore(db_url) as s:
        yield s


def essentials(s: StoredSession) -> tuple[Any, ...]:
    """What must survive storage, in the result's own terms."""
    return (
        s.exercise,
        s.clip,
        s.reps_good,
        s.reps_faulty,
        [
            (r.index, r.start_s, r.end_s, r.tempo_s, r.rom, list(r.faults), r.measures)
            for r in s.reps
        ],
        [(h.side, h.start_s, h.end_s, h.duration_s, h.rom, h.rom_best, h.counted) for h in s.holds],
        [(f.rule, f.severity, f.start_s, f.end_s, f.message) for f in s.faults],
        s.rules_not_checked,
        s.stopped_for_pain,
    )


def expected_essentials(i: int) -> tuple[Any, ...]:
    data = sample_result(i)
    reps = data["reps"]
    return (
        data["exercise"],
        data["source"],
        reps["good"],
        reps["faulty"],
        [
            (
                r["index"],
                r["start_s"],
                r["end_s"],
                r["tempo_s"],
                r["rom"],
                r["faults"],
                r["measures"],
            )
            for r in reps["events"]
        ],
        [
            (h["side"], h["start_s"], h["end_s"], h["duration_s"], h["rom"], h["rom_best"], True)
            for h in data["holds"]
        ]
        + [
            (h["side"], h["start_s"], h["end_s"], h["duration_s"], h["rom"], h["rom_best"], False)
            for h in data["short_holds"]
        ],
        [
            (f["rule"], f["severity"], f["start_s"], f["end_s"], f["message"])
            for f in data["faults"]
        ],
        data["rules_not_checked"],
        data["stopped_for_pain"],
    )


def test_a_saved_set_reads_back_whole(store: HistoryStore) -> None:
    patient = store.add_patient("  P-017  ")
    session_id = store.save_session(patient.id, sample_result(5, pain=True), sample_context(5))
    s = store.session(session_id)
    assert essentials(s) == (*expected_essentials(5)[:-1], True)
    assert (s.patient_name, s.source, s.program, s.set_index, s.sets_prescribed) == (
        "P-017", "practice", "low_back_starter", 3, 3,
    )  # fmt: skip
    assert s.started_at == BASE_TIME + timedelta(hours=5)
    assert s.started_at.tzinfo is not None and s.started_at.utcoffset() == timedelta(0)
    assert s.ended_at - s.started_at == timedelta(seconds=60)
    assert s.cannot_judge_share == pytest.approx(0.1)  # 270 of 300 frames judged
    assert s.best_hold_s() == {"left": 12.0, "right": 9.5}  # the 1 s short hold does not count
    assert s.reps[0].measures == {"back_bend_deg": 5.1, "knee_flexion_deg": None}
    assert s.reps[0].tempo_s is None  # began before it was seen
    assert (s.rom_signal, s.rom_better, s.reps_prescribed) == ("hip_flexion_deg", "higher", 10)
    assert s.fault_counts() == {"neutral_spine": 1}


def test_context_from_the_spec_carries_its_prescription_and_version() -> None:
    hinge, bridge_hold = load_spec("hip_hinge"), load_spec("childs_pose")
    reps_ctx = context_for(hinge, "review", BASE_TIME, BASE_TIME)
    hold_ctx = context_for(bridge_hold, "practice", BASE_TIME, BASE_TIME, set_index=2)
    assert reps_ctx.reps_prescribed == hinge.prescription.reps
    assert reps_ctx.hold_target_s is None
    assert hold_ctx.hold_target_s == bridge_hold.prescription.hold_s
    assert hold_ctx.set_index == 2
    assert reps_ctx.spec_version == spec_version(hinge) != spec_version(bridge_hold)
    stricter = hinge.model_copy(update={"title": hinge.title + " (edited)"})
    assert spec_version(stricter) != spec_version(hinge)


HOUR_1 = BASE_TIME + timedelta(hours=1)
HOUR_4_LOCAL_NAIVE = (BASE_TIME + timedelta(hours=4)).astimezone().replace(tzinfo=None)
# Sessions 0..5 start an hour apart from BASE_TIME; 0-3 are Anna's hinges, 4 Anna's bridge,
# 5 Ben's hinge. Each scenario: filters -> the sessions returned (by i).
FILTER_SCENARIOS = [
    # one patient, everything of theirs, oldest first
    ("patient", {"patient": "Anna"}, [0, 1, 2, 3, 4]),
    # one exercise of one patient
    ("exercise", {"patient": "Anna", "exercise": "glute_bridge"}, [4]),
    # a date range is half-open: from the start of hour 1 up to, not including, hour 3
    ("range", {"since": HOUR_1, "until": HOUR_1 + timedelta(hours=2)}, [1, 2]),
    # everyone's sessions when no patient is given
    ("everyone", {}, [0, 1, 2, 3, 4, 5]),
    # a range with nothing in it
    ("empty_range", {"since": BASE_TIME + timedelta(days=3)}, []),
    # a naive datetime is local time, as everywhere in Python
    ("naive_is_local", {"since": HOUR_4_LOCAL_NAIVE}, [4, 5]),
]


@pytest.mark.parametrize(
    ("name", "filters", "expected"), FILTER_SCENARIOS, ids=[s[0] for s in FILTER_SCENARIOS]
)
def test_sessions_are_filtered_by_patient_exercise_and_dates(
    store: HistoryStore, name: str, filters: dict[str, Any], expected: list[int]
) -> None:
    anna, ben = store.add_patient("Anna"), store.add_patient("Ben")
    for i in range(6):
        data = sample_result(i)
        if i == 4:
            data["exercise"] = "glute_bridge"
        store.save_session(ben.id if i == 5 else anna.id, data, sample_context(i))
    who = {"Anna": anna.id, "Ben": ben.id}
    found = store.sessions(
        who.get(filters.get("patient", "")),
        exercise=filters.get("exercise"),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    assert [int(s.clip.split("-")[1].split(".")[0]) for s in found if s.clip] == expected
    assert store.exercises(anna.id) == ["glute_bridge", "hip_hinge"]


def _save_unknown_patient(s: HistoryStore) -> None:
    s.save_session(999, sample_result(1), sample_context(1))


def _save_not_a_result(s: HistoryStore) -> None:
    data = sample_result(1)
    del data["reps"]
    s.save_session(s.add_patient("x").id, data, sample_context(1))


def _save_nan(s: HistoryStore) -> None:
    data = sample_result(1)
    data["reps"]["events"][0]["peak"] = math.nan
    s.save_session(s.add_patient("x").id, data, sample_context(1))


def _save_bad_source(s: HistoryStore) -> None:
    ctx = sample_context(1, program=None)
    bad = SessionContext("phone", ctx.started_at, ctx.ended_at, "v")  # type: ignore[arg-type]
    s.save_session(s.add_patient("x").id, sample_result(1), bad)


def _save_ends_before_start(s: HistoryStore) -> None:
    bad = SessionContext("cli", BASE_TIME, BASE_TIME - timedelta(seconds=1), "v")
    s.save_session(s.add_patient("x").id, sample_result(1), bad)


def _twice(s: HistoryStore) -> None:
    s.add_patient("Anna")
    s.add_patient("Anna")


BAD_INPUT = [
    # a set for a patient who does not exist
    ("unknown_patient_save", _save_unknown_patient, "unknown patient id 999"),
    # a lookup by a name nobody has
    ("unknown_patient_name", lambda s: s.patient("nobody"), "unknown patient 'nobody'"),
    # a session id that was never saved
    ("unknown_session", lambda s: s.session(12345), "unknown session 12345"),
    # a dict that is not a formcheck result
    ("not_a_result", _save_not_a_result, "not a formcheck result: (top level): 'reps' is a"),
    # a NaN where JSON (and PostgreSQL's JSON) has no such number
    ("nan", _save_nan, "holds NaN or infinity"),
    # a source other than practice, review or cli
    ("bad_source", _save_bad_source, "source must be one of practice, review, cli"),
    # a set that ends before it starts
    ("ends_before_start", _save_ends_before_start, "cannot end"),
    # the same patient name twice
    ("duplicate_patient", _twice, "a patient named 'Anna' already exists"),
    # an empty name
    ("empty_name", lambda s: s.add_patient("   "), "one line of 1 to 200 characters"),
    # deleting a patient who does not exist
    ("delete_unknown", lambda s: s.delete_patient(77), "unknown patient id 77"),
    # a terminal escape that would retitle the terminal of whoever lists the patients
    ("name_with_escape", lambda s: s.add_patient("x\x1b]0;owned\x07"), "U+001B"),
    # a right-to-left override that shows the name backwards
    ("name_with_bidi_override", lambda s: s.add_patient("Anna\u202eK"), "RIGHT-TO-LEFT OVERRIDE"),
    # a zero-width space: two names that look identical
    ("name_with_zero_width_space", lambda s: s.add_patient("An\u200bna"), "ZERO WIDTH SPACE"),
    # a line break inside the name
    ("name_with_line_break", lambda s: s.add_patient("Anna\nK"), "U+000A"),
    # a name starting with '#', which marks an id
    ("name_like_an_id", lambda s: s.add_patient("#5"), "cannot start with '#'"),
    # the same name in decomposed form (NFD) is the same name once normalised
    ("nfd_twin", lambda s: (s.add_patient("Jos\u00e9"), s.add_patient("Jose\u0301")),
     "a patient named 'Jos\u00e9' already exists"),
    # the same letters in another case
    ("case_twin", lambda s: (s.add_patient("Anna"), s.add_patient("ANNA")),
     "would look like 'Anna'"),
    # full-width letters that read as the same name
    ("full_width_twin", lambda s: (s.add_patient("Anna"), s.add_patient("\uff21nna")),
     "would look like 'Anna'"),
    # a 20-digit patient id
    ("huge_patient_id", lambda s: s.patient("#99999999999999999999"), "unknown patient id 9999"),
    # a 20-digit session id
    ("huge_session_id", lambda s: s.session(10**20), "unknown session 1000"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "action", "message"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_a_history_error_and_writes_nothing(
    store: HistoryStore, name: str, action: Any, message: str
) -> None:
    with pytest.raises(HistoryError) as info:
        action(store)
    assert message in str(info.value)
    assert store.sessions() == []


UNREACHABLE = [
    # nothing listens on port 1
    ("server_down", "postgresql://someone@127.0.0.1:1/history", "Connection refused"),
    # not a URL at all
    ("not_a_url", "history please", "is not valid"),
    # a database whose driver is not installed
    ("no_driver", "mysql+mysqldb://u@127.0.0.1/x", "cannot use the history database"),
    # a SQLite file whose folder cannot be made
    ("bad_folder", "sqlite:////proc/formcheck/history.sqlite3", "cannot create the history folder"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "url", "message"), UNREACHABLE, ids=[u[0] for u in UNREACHABLE])
def test_an_unusable_database_url_is_one_clear_error(name: str, url: str, message: str) -> None:
    with pytest.raises(HistoryError) as info:
        HistoryStore(url)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_plain_postgresql_url_uses_psycopg(postgres_cluster: Cluster) -> None:
    url = postgres_cluster.new_database().replace("postgresql+psycopg://", "postgresql://")
    with HistoryStore(url) as s:
        assert s.add_patient("Anna").name == "Anna"


def test_a_newer_schema_is_refused_and_left_alone(db_url: str) -> None:
    with HistoryStore(db_url) as s:
        sid = s.save_session(s.add_patient("Anna").id, sample_result(2), sample_context(2))
    engine = create_engine(db_url)
    with engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(HistoryError, match="written by a newer formcheck"):
        HistoryStore(db_url)
    with engine.begin() as conn:  # untouched: the old code wrote nothing
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "9999_from_the_future"
        )
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    engine.dispose()
    with HistoryStore(db_url) as s:
        assert essentials(s.session(sid)) == expected_essentials(2)


def test_a_history_from_before_the_best_depth_keeps_its_holds(db_url: str) -> None:
    # Scenario: a database written at the first schema (holds with a median depth only) is
    # opened by this code: its holds keep their median and have no best; new holds have both.
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        with Session(conn) as orm:
            anna = PatientRow(name="Anna", created_at=BASE_TIME)
            orm.add(anna)
            orm.flush()
            row = session_row(anna.id, sample_result(1), sample_context(1))
            row.holds = []  # the ORM's holds have the new column: this one goes in by hand
            orm.add(row)
            orm.flush()
            anna_id, sid = anna.id, row.id
        conn.execute(
            text("INSERT INTO holds (session_id, side, start_s, end_s, duration_s, rom, counted) "
                 "VALUES (:s, 'left', 1.0, 21.0, 20.0, 55.5, :yes)"),
            {"s": sid, "yes": True},
        )  # fmt: skip
    engine.dispose()
    with HistoryStore(db_url) as s:
        (hold,) = s.session(sid).holds
        assert (hold.rom, hold.rom_best) == (55.5, None)
        new = s.session(s.save_session(anna_id, sample_result(2), sample_context(2)))
        assert [(h.rom, h.rom_best) for h in new.holds] == [
            (60.0, 66.5), (None, None), (48.0, 51.25),
        ]  # fmt: skip


def test_the_migrated_schema_matches_the_models(db_url: str) -> None:
    HistoryStore(db_url).close()
    engine = create_engine(db_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert differences == []


def test_the_default_database_is_a_wal_sqlite_file_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORMCHECK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with HistoryStore() as s:
        s.add_patient("Anna")
        with s._engine.connect() as conn:  # a pooled connection has the settings too
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    path = tmp_path / "data" / "formcheck" / "history.sqlite3"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
            for t in ("patients", "sessions", "reps", "holds", "faults")
        }
    engine.dispose()
    return counts


def _recording(url: str, patient_id: int, n: int) -> Path:
    """A file where formcheck puts a recording of ``patient_id``'s set, named as it names one."""
    folder = recordings_root(url) / str(patient_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"20261102T090000Z-{n:08x}.mp4"
    path.write_bytes(b"video")
    return path


def test_deleting_a_patient_removes_their_rows_and_recordings_only(
    db_url: str, tmp_path: Path
) -> None:
    with HistoryStore(db_url) as s:
        anna, ben = s.add_patient("Anna"), s.add_patient("Ben")
        anna_clips = [_recording(db_url, anna.id, 1), _recording(db_url, anna.id, 2)]
        ben_clip = _recording(db_url, ben.id, 3)
        for i, clip in enumerate(anna_clips):
            s.save_session(anna.id, sample_result(i), sample_context(i, recording_path=clip))
        gone = anna_clips[0].with_name("20261102T090000Z-0000dead.mp4")
        s.save_session(anna.id, sample_result(3), sample_context(3, recording_path=gone))
        s.save_session(anna.id, sample_result(7), sample_context(7))
        ben_id = s.save_session(
            ben.id, sample_result(4), sample_context(4, recording_path=ben_clip)
        )
        before = _row_counts(db_url)
        deleted = s.delete_patient(anna.id)
        assert deleted.sessions == 4
        assert sorted(deleted.recordings_removed) == sorted(str(c) for c in anna_clips)
        assert deleted.recordings_missing == (str(gone),)
        assert deleted.recordings_refused == ()
        assert [p.name for p in s.patients()] == ["Ben"]
        assert [x.id for x in s.sessions()] == [ben_id]
        with pytest.raises(HistoryError, match="unknown patient"):
            s.patient("Anna")
    assert not any(c.exists() for c in anna_clips)
    assert ben_clip.exists()
    ben_reps = len(sample_result(4)["reps"]["events"])
    after = _row_counts(db_url)
    assert after["patients"] == 1 and after["sessions"] == 1
    assert after["reps"] == ben_reps < before["reps"]
    assert after["holds"] == 3 and after["faults"] == len(sample_result(4)["faults"])


def _outside(url: str, anna: int, ben: int, victim: Path) -> Path:
    return victim


def _link_inside(url: str, anna: int, ben: int, victim: Path) -> Path:
    link = _recording(url, anna, 9)
    link.unlink()
    link.symlink_to(victim)
    return link


def _climbs_out(url: str, anna: int, ben: int, victim: Path) -> Path:
    _recording(url, anna, 9).unlink()
    return recordings_root(url) / str(anna) / ".." / ".." / ".." / victim.name


def _other_patients(url: str, anna: int, ben: int, victim: Path) -> Path:
    return _recording(url, ben, 5)


def _not_a_recording_name(url: str, anna: int, ben: int, victim: Path) -> Path:
    path = recordings_root(url) / str(anna) / "notes.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("kept")
    return path


def _a_folder(url: str, anna: int, ben: int, victim: Path) -> Path:
    path = _recording(url, anna, 8)
    path.unlink()
    path.mkdir()
    return path


# (scenario, what a session's recording_path holds): each is left where it is and reported
REFUSED_RECORDINGS = [
    # a path outside the recordings folder (a shared database's row can name any file)
    ("outside", _outside),
    # a link named like a recording in the patient's folder, pointing outside
    ("link_inside", _link_inside),
    # a path that starts in the folder and climbs out with ..
    ("climbs_out", _climbs_out),
    # another patient's recording
    ("other_patients", _other_patients),
    # a file in the folder that formcheck did not name
    ("not_a_recording_name", _not_a_recording_name),
    # a folder where a recording would be
    ("a_folder", _a_folder),
]


@pytest.mark.parametrize(
    ("name", "make"), REFUSED_RECORDINGS, ids=[r[0] for r in REFUSED_RECORDINGS]
)
def test_delete_removes_no_file_formcheck_did_not_make(
    db_url: str, tmp_path: Path, name: str, make: Any
) -> None:
    victim = data_folder(db_url).parent / f"victim-{name}.txt"
    victim.write_text("somebody's file")
    try:
        with HistoryStore(db_url) as s:
            anna, ben = s.add_patient("Anna"), s.add_patient("Ben")
            listed = make(db_url, anna.id, ben.id, victim)
            sid = s.save_session(anna.id, sample_result(1), sample_context(1))
            # Written straight into the row, as any writer of a shared database could.
            with s._engine.begin() as conn:
                conn.execute(
                    text("UPDATE sessions SET recording_path = :p WHERE id = :id"),
                    {"p": str(listed), "id": sid},
                )
            deleted = s.delete_patient(anna.id)
            assert deleted.recordings_refused == (str(listed),)
            assert deleted.recordings_removed == ()
            assert [p.name for p in s.patients()] == ["Ben"]
        assert victim.read_text() == "somebody's file"
        assert os.path.lexists(listed)
    finally:
        victim.unlink(missing_ok=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="root removes files from a read-only folder")
def test_a_recording_that_cannot_be_removed_deletes_nothing(db_url: str) -> None:
    with HistoryStore(db_url) as s:
        anna = s.add_patient("Anna")
        stuck = _recording(db_url, anna.id, 1)
        sid = s.save_session(anna.id, sample_result(1), sample_context(1, recording_path=stuck))
        stuck.parent.chmod(0o500)
        try:
            with pytest.raises(
                HistoryError, match=r"cannot remove the recording .*the history was left as it was"
            ):
                s.delete_patient(anna.id)
        finally:
            stuck.parent.chmod(0o700)
        assert s.session(sid).recording_path == str(stuck)


def test_export_holds_every_session_in_json_and_csv(store: HistoryStore) -> None:
    anna, ben = store.add_patient("Anna"), store.add_patient("Ben")
    for i in range(3):
        store.save_session(anna.id, sample_result(i), sample_context(i))
    store.save_session(ben.id, sample_result(9), sample_context(9))
    data = json.loads(json.dumps(patient_json(store, anna)))  # JSON-able all the way
    assert data["patient"]["name"] == "Anna"
    assert [s["clip"] for s in data["sessions"]] == ["set-0.mp4", "set-1.mp4", "set-2.mp4"]
    assert data["sessions"][1]["started_at"] == "2026-11-02T10:00:00Z"
    assert data["sessions"][2]["reps"][0]["measures"] == {
        "back_bend_deg": 2.1, "knee_flexion_deg": None,
    }  # fmt: skip
    archive = zipfile.ZipFile(io.BytesIO(patient_csv_zip(store, anna)))
    assert sorted(archive.namelist()) == [
        "README.txt", "faults.csv", "holds.csv", "reps.csv", "sessions.csv",
    ]  # fmt: skip
    reps_csv = archive.read("reps.csv").decode().splitlines()
    rep_total = sum(len(sample_result(i)["reps"]["events"]) for i in range(3))
    assert len(reps_csv) == 1 + rep_total
    assert reps_csv[0].endswith("good,faults,back_bend_deg,knee_flexion_deg")
    sessions_csv = archive.read("sessions.csv").decode().splitlines()
    assert "best_hold_left_s,best_hold_right_s" in sessions_csv[0]
    holds_csv = archive.read("holds.csv").decode().splitlines()
    assert holds_csv[0].endswith(",duration_s,rom,rom_best,counted")
    assert holds_csv[1].endswith(",left,20.0,32.0,12.0,60.0,64.5,yes")  # Anna's first hold
    assert data["sessions"][0]["holds"][0]["rom_best"] == 64.5
    assert len(sessions_csv) == 4 and "set-9" not in "".join(sessions_csv)  # Ben's is not in it
    assert csv_tables([])["faults.csv"].strip() == (
        "session_id,started_at,exercise,rule,severity,start_s,end_s,message"
    )


# -- processes: a writer killed mid-run, two writers at once ---------------------------------------


def _start_writer(url: str, name: str, start: int, count: int) -> subprocess.Popen[str]:
    code = "import sys; from tests.support.history import writer_main; writer_main(sys.argv[1:])"
    return subprocess.Popen(
        [sys.executable, "-c", code, url, name, str(start), str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _reported(lines: list[str]) -> dict[int, int]:
    """session id -> i, from the writer's lines."""
    return {int(a): int(b) for a, b in (line.split() for line in lines if line.strip())}


def _check_all_intact(url: str, reported: dict[int, int]) -> list[StoredSession]:
    with HistoryStore(url) as s:
        stored = s.sessions()
    by_id = {x.id: x for x in stored}
    assert set(reported) <= set(by_id), "a set reported as written is missing"
    for x in stored:  # every stored set, reported or not, is whole
        i = int((x.clip or "").removeprefix("set-").removesuffix(".mp4"))
        assert essentials(x) == expected_essentials(i)
        assert reported.get(x.id, i) == i
    return stored


def test_a_killed_writer_loses_no_set_it_reported(db_url: str) -> None:
    writer = _start_writer(db_url, "Anna", 0, 100_000)
    assert writer.stdout is not None
    lines: list[str] = []
    while len(lines) < 15:
        line = writer.stdout.readline()
        assert line, f"writer stopped early: {writer.stderr.read() if writer.stderr else ''}"
        lines.append(line)
    time.sleep(random.Random(13).uniform(0.0, 0.05))  # land somewhere inside a later write
    os.kill(writer.pid, signal.SIGKILL)
    rest, _ = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    reported = _reported(lines + rest.splitlines())
    stored = _check_all_intact(db_url, reported)
    assert len(reported) <= len(stored) <= len(reported) + 1  # at most the set under way
    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_two_writers_at_once_on_a_fresh_database_corrupt_nothing(db_url: str) -> None:
    # Both open the empty database at the same moment, so they also race to create the schema.
    writers = [_start_writer(db_url, "Anna", 0, 25), _start_writer(db_url, "Ben", 100, 25)]
    outputs = [w.communicate(timeout=120) for w in writers]
    for w, (_, err) in zip(writers, outputs, strict=True):
        assert w.returncode == 0, err
    reported = _reported([line for out, _ in outputs for line in out.splitlines()])
    stored = _check_all_intact(db_url, reported)
    assert len(reported) == len(stored) == 50
    by_patient = {name: sorted(x.clip or "" for x in stored if x.patient_name == name)
                  for name in ("Anna", "Ben")}  # fmt: skip
    assert by_patient["Anna"] == sorted(f"set-{i}.mp4" for i in range(25))
    assert by_patient["Ben"] == sorted(f"set-{i}.mp4" for i in range(100, 125))


def test_the_core_never_imports_the_history() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE_MODULES)
        + "print(','.join(m for m in sys.modules if m.startswith(('formcheck.history', "
        "'sqlalchemy', 'alembic'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_name_of_digits_is_a_name_and_an_id_is_asked_for_as_one(store: HistoryStore) -> None:
    store.add_patient("Anna")
    ben = store.add_patient("Ben")
    two = store.add_patient("2")
    assert (ben.id, two.id) == (2, 3)
    assert store.patient("2") == two  # the patient named 2, not id 2
    assert store.patient("#2") == ben
    assert store.patient_by_id(2) == ben
    jose = store.add_patient("Jose\u0301")  # typed decomposed, stored composed (NFC)
    assert jose.name == "Jos\u00e9"
    assert store.patient("Jose\u0301") == jose == store.patient("Jos\u00e9")


# (scenario, folder mode, database file mode before opening): each ends 0700 / 0600
LOOSE_MODES = [
    # a database and folder readable by every user of the machine (the umask's 0644 / 0755)
    ("world_readable", 0o755, 0o644),
    # writable by the group
    ("group_writable", 0o770, 0o660),
    # already private: no notice
    ("private", 0o700, 0o600),
]


@pytest.mark.parametrize(("name", "folder_mode", "file_mode"), LOOSE_MODES,
                         ids=[m[0] for m in LOOSE_MODES])  # fmt: skip
def test_the_history_is_private_at_rest(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    folder_mode: int,
    file_mode: int,
) -> None:
    monkeypatch.delenv("FORMCHECK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = tmp_path / "data" / "formcheck"
    with HistoryStore() as s:  # created by formcheck: private from the start
        s.save_session(s.add_patient("Anna").id, sample_result(1), sample_context(1))
    assert capsys.readouterr().err == ""
    files = [folder / f"history.sqlite3{end}" for end in ("", "-wal", "-shm")]
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    for f in files:
        if f.exists():
            assert oct(f.stat().st_mode & 0o777) == oct(0o600), f.name
    folder.chmod(folder_mode)
    for f in files:
        if f.exists():
            f.chmod(file_mode)
    with HistoryStore() as s:
        assert [p.name for p in s.patients()] == ["Anna"]
    err = capsys.readouterr().err
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    for f in files:
        if f.exists():
            assert oct(f.stat().st_mode & 0o777) == oct(0o600), f.name
    if name == "private":
        assert err == ""
    else:
        assert err.startswith("formcheck: notice: the history folder")
        assert all(line.startswith("formcheck: notice: ") for line in err.splitlines())
        assert "made private" in err
