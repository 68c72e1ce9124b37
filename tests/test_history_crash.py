"""Crash safety of the SQLite history, tested as a database's is: a process is killed (SIGKILL,
no clean-up of any kind) at random points while it saves a set, deletes a patient or migrates a
fresh database, many times over; after every kill the database opens, passes
``PRAGMA integrity_check`` and holds each set (or patient, or schema) whole or not at all. A set
saved while the same patient is deleted ends saved before the delete (and deleted with the
patient) or refused, never as a set of nobody's.

The kill points are drawn from a seeded generator over the time the operation takes when left
alone (measured first), so the kills land before, inside and after it; each test checks that
both outcomes happened, which shows the kills did land inside. The whole module runs in well
under a minute: children are forked from a server that has the history modules loaded.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from formcheck.history.database import recordings_root
from formcheck.history.migrate import alembic_config
from formcheck.history.store import HistoryStore
from tests.support import crash
from tests.support.history import sample_context, sample_result

SEED = 26
TABLES = {"alembic_version", "patients", "sessions", "reps", "holds", "faults"}
# Sets and recordings of the patient each delete kill works on: enough for the delete to take
# several milliseconds, so a kill can land inside it.
SETS_PER_PATIENT = 25


@pytest.fixture(scope="module")
def forkserver() -> Iterator[Any]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.support.crash"])
    yield context


def start(context: Any, target: Callable[..., None], *args: Any) -> tuple[Any, Connection]:
    """A child running ``target(conn, *args)``, started and past its ``"ready"``."""
    parent_end, child_end = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(child_end, *args), daemon=True)
    process.start()
    child_end.close()
    assert parent_end.poll(60), "the child did not start"
    assert parent_end.recv() == "ready"
    return process, parent_end


def kill(process: Any) -> None:
    process.kill()  # SIGKILL
    process.join(30)
    assert process.exitcode is not None


def received(conn: Connection) -> list[Any]:
    """Every message the child managed to send before it died."""
    messages = []
    while conn.poll(0):
        try:
            messages.append(conn.recv())
        except (EOFError, OSError):
            break
    return messages


def integrity_ok(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "reps" in tables:  # nothing left hanging off a set or a patient that is gone
            for table in ("reps", "holds", "faults"):
                orphans = raw.execute(
                    f"SELECT count(*) FROM {table} "
                    "WHERE session_id NOT IN (SELECT id FROM sessions)"
                ).fetchone()
                assert orphans == (0,), table
            orphans = raw.execute(
                "SELECT count(*) FROM sessions WHERE patient_id NOT IN (SELECT id FROM patients)"
            ).fetchone()
            assert orphans == (0,)
    raw.close()


def whole(store: HistoryStore) -> dict[int, int]:
    """session id -> i for every stored set, each checked against the set that was saved."""
    found = {}
    for s in store.sessions():
        i = int((s.clip or "").removeprefix("set-").removesuffix(".mp4"))
        expected = sample_result(i)
        assert [r.index for r in s.reps] == [e["index"] for e in expected["reps"]["events"]]
        assert [r.measures for r in s.reps] == [e["measures"] for e in expected["reps"]["events"]]
        assert len(s.holds) == len(expected["holds"]) + len(expected.get("short_holds", []))
        assert [f.rule for f in s.faults] == [f["rule"] for f in expected["faults"]]
        found[s.id] = i
    return found


def timed(context: Any, target: Callable[..., None], *args: Any) -> float:
    """How long ``target`` takes from its ``"ready"`` to its ``"done"`` when left alone."""
    process, conn = start(context, target, *args)
    began = time.perf_counter()
    assert conn.poll(60)
    assert conn.recv() == "done"
    took = time.perf_counter() - began
    process.join(30)
    return took


def test_a_set_killed_while_saving_is_whole_or_absent(forkserver: Any, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    path = tmp_path / "history.sqlite3"
    url = f"sqlite:///{path}"
    with HistoryStore(url) as store:
        anna = store.add_patient("Anna")
    reported: dict[int, int] = {}
    next_i = 0
    for _ in range(25):
        process, conn = start(forkserver, crash.save_forever, url, anna.id, next_i)
        for _ in range(rng.randrange(3)):  # some sets first, so a kill can land mid-run
            assert conn.poll(30)
            sid, i = conn.recv()
            reported[sid] = i
        time.sleep(rng.uniform(0.0, 0.03))
        kill(process)
        for sid, i in (m for m in received(conn) if isinstance(m, tuple)):
            reported[sid] = i
        integrity_ok(path)
        with HistoryStore(url) as store:
            stored = whole(store)
        assert set(reported) <= set(stored), "a set reported as saved is missing"
        assert all(stored[sid] == i for sid, i in reported.items())
        unreported = set(stored) - set(reported)
        assert len(unreported) <= 1  # at most the set under way, committed as it was killed
        reported.update({sid: stored[sid] for sid in unreported})
        next_i = max(reported.values(), default=-1) + 1
    assert len(reported) > 0


def _patient_with_recordings(url: str, name: str) -> tuple[int, list[Path]]:
    with HistoryStore(url) as store:
        patient = store.add_patient(name)
        folder = recordings_root(url) / str(patient.id)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for i in range(SETS_PER_PATIENT):
            clip = folder / f"20261102T0900{i:02d}Z-{i:08x}.mp4"
            clip.write_bytes(b"video")
            files.append(clip)
            store.save_session(patient.id, sample_result(i), sample_context(i, recording_path=clip))
    return patient.id, files


def test_a_patient_killed_while_being_deleted_is_whole_or_gone(
    forkserver: Any, tmp_path: Path
) -> None:
    rng = random.Random(SEED + 1)
    path = tmp_path / "history.sqlite3"
    url = f"sqlite:///{path}"
    patient_id, _ = _patient_with_recordings(url, "Alone")
    took = timed(forkserver, crash.delete_patient, url, patient_id)
    outcomes = {"whole": 0, "gone": 0}
    for n in range(20):
        patient_id, files = _patient_with_recordings(url, f"P{n}")
        process, _ = start(forkserver, crash.delete_patient, url, patient_id)
        time.sleep(rng.uniform(0.0, 1.5 * took))
        kill(process)
        integrity_ok(path)
        with HistoryStore(url) as store:
            whole(store)
            mine = [s for s in store.sessions() if s.patient_id == patient_id]
            if [p for p in store.patients() if p.id == patient_id]:
                outcomes["whole"] += 1
                assert len(mine) == SETS_PER_PATIENT  # every set still there
                # Files removed before the kill are reported missing; a retry finishes the job.
                again = store.delete_patient(patient_id)
                assert len(again.recordings_removed) + len(again.recordings_missing) == len(files)
                assert again.recordings_refused == ()
            else:
                outcomes["gone"] += 1
                assert mine == []
        assert not any(f.exists() for f in files)
    assert outcomes["whole"] > 0 and outcomes["gone"] > 0, outcomes


def test_a_migration_killed_part_way_leaves_no_schema_or_the_whole_one(
    forkserver: Any, tmp_path: Path
) -> None:
    rng = random.Random(SEED + 2)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    took = timed(forkserver, crash.migrate, f"sqlite:///{tmp_path / 'timing.sqlite3'}")
    outcomes = {"none": 0, "whole": 0}
    for n in range(20):
        path = tmp_path / f"fresh-{n}.sqlite3"
        url = f"sqlite:///{path}"
        process, _ = start(forkserver, crash.migrate, url)
        time.sleep(rng.uniform(0.0, 1.5 * took))
        kill(process)
        if path.exists():
            integrity_ok(path)
            with sqlite3.connect(path) as raw:
                tables = {
                    r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                if tables:
                    assert tables == TABLES
                    version = raw.execute("SELECT version_num FROM alembic_version").fetchall()
                    assert version == [(head,)]
            raw.close()
        else:
            tables = set()
        outcomes["whole" if tables else "none"] += 1
        with HistoryStore(url) as store:  # opens either way, and works
            assert store.add_patient("Anna").name == "Anna"
    assert outcomes["none"] > 0 and outcomes["whole"] > 0, outcomes


def test_a_set_saved_while_its_patient_is_deleted_never_outlives_the_patient(
    forkserver: Any, tmp_path: Path
) -> None:
    rng = random.Random(SEED + 3)
    path = tmp_path / "history.sqlite3"
    url = f"sqlite:///{path}"
    with HistoryStore(url) as store:
        ben = store.add_patient("Ben")
        kept = store.save_session(ben.id, sample_result(99), sample_context(99))
    for n in range(6):
        with HistoryStore(url) as store:
            patient = store.add_patient(f"Anna {n}")
        saver, saves = start(forkserver, crash.save_forever, url, patient.id, 1000 * n)
        time.sleep(rng.uniform(0.0, 0.05))
        deleter, deletes = start(forkserver, crash.delete_patient, url, patient.id)
        assert deletes.poll(60) and deletes.recv() == "done"
        deleter.join(30)
        assert saves.poll(60)
        messages = received(saves)
        while "gone" not in messages:  # the saver finds the patient gone at its next set
            assert saves.poll(60), messages
            messages += received(saves)
        saver.join(30)
        assert saver.exitcode == 0
        integrity_ok(path)
        with HistoryStore(url) as store:
            assert [p.name for p in store.patients()] == ["Ben"]
            assert [s.id for s in store.sessions()] == [kept]
