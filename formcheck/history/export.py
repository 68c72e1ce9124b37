"""A patient's whole history as JSON, or as CSV tables in one zip ("export my data").

JSON keeps the nesting (sessions with their reps, holds and faults) for programs. The zip is for
people: one table per kind of row (sessions, reps, holds, faults), each row naming its session
and exercise so every file opens on its own in a spreadsheet, with a README explaining the
columns. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from formcheck import __version__
from formcheck.history.from_result import in_column_order
from formcheck.history.models import FaultRow, HoldRow, RepRow
from formcheck.history.records import Patient, StoredSession
from formcheck.history.store import HistoryStore

EXPORT_FORMAT_VERSION = 1

_README = """formcheck history export of {name}, made {when} by formcheck {version}.

sessions.csv  one row per completed set or analysed clip: when (UTC), exercise, program and set,
              reps done / good / faulty against those prescribed per set, the longest hold per
              side against the target, the share of frames the camera could not judge (0..1)
              and whether the set was stopped for pain.
reps.csv      one row per rep: its times in seconds from the start of the set, duration, tempo,
              range of motion, the rules it broke and every measure the exercise reports
              (e.g. back_bend_deg: how much the back's outline bent; 0 is straight).
holds.csv     one row per hold: its times, time in position, range of motion over it (rom: the
              median, rom_best: the furthest); counted=no is a stay shorter than the
              exercise's minimum.
faults.csv    one row per fault found, with its time span in the set.
"""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def session_dict(session: StoredSession) -> dict[str, Any]:
    """One session as JSON-able data, datetimes as ISO 8601 UTC."""
    data = {f.name: getattr(session, f.name) for f in fields(session)}
    data["started_at"] = _iso(session.started_at)
    data["ended_at"] = _iso(session.ended_at)
    data["reps"] = [in_column_order(r, RepRow) for r in session.reps]
    data["holds"] = [in_column_order(h, HoldRow) for h in session.holds]
    data["faults"] = [in_column_order(f, FaultRow) for f in session.faults]
    return data


def patient_json(store: HistoryStore, patient: Patient) -> dict[str, Any]:
    """Everything stored about ``patient``."""
    return {
        "format": "formcheck-history",
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": _iso(datetime.now(UTC)),
        "formcheck_version": __version__,
        "patient": {
            "id": patient.id,
            "name": patient.name,
            "created_at": _iso(patient.created_at),
        },
        "sessions": [session_dict(s) for s in store.sessions(patient.id)],
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue()


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def csv_tables(sessions: list[StoredSession]) -> dict[str, str]:
    """File name -> CSV text for sessions, reps, holds and faults."""
    sides = sorted({side for s in sessions for side in s.best_hold_s()})
    measures = sorted({m for s in sessions for r in s.reps for m in r.measures})
    head = ["session_id", "started_at", "exercise"]
    session_rows, rep_rows, hold_rows, fault_rows = [], [], [], []
    for s in sessions:
        key = [s.id, _iso(s.started_at), s.exercise]
        best = s.best_hold_s()
        session_rows.append(
            [
                *key, _iso(s.ended_at), s.source, s.clip, s.program, s.set_index,
                s.sets_prescribed, s.duration_s, s.reps_done, s.reps_good, s.reps_faulty,
                s.reps_prescribed, s.hold_target_s, *(best.get(side) for side in sides),
                s.cannot_judge_share, _yes(s.stopped_for_pain), s.view, s.side,
                s.recording_path, s.spec_version, s.app_version,
            ]
        )  # fmt: skip
        for r in s.reps:
            rep_rows.append(
                [
                    *key, r.index, r.side, r.start_s, r.end_s, round(r.end_s - r.start_s, 3),
                    r.tempo_s, r.peak, r.rom, _yes(r.good), ";".join(r.faults),
                    *(r.measures.get(m) for m in measures),
                ]
            )  # fmt: skip
        for h in s.holds:
            measured = [h.start_s, h.end_s, h.duration_s, h.rom, h.rom_best]
            hold_rows.append([*key, h.side, *measured, _yes(h.counted)])
        for f in s.faults:
            fault_rows.append([*key, f.rule, f.severity, f.start_s, f.end_s, f.message])
    session_head = [
        *head, "ended_at", "source", "clip", "program", "set", "sets_prescribed", "duration_s",
        "reps_done", "reps_good", "reps_faulty", "reps_prescribed", "hold_target_s",
        *(f"best_hold_{side}_s" for side in sides), "cannot_judge_share", "stopped_for_pain",
        "view", "side", "recording", "spec_version", "app_version",
    ]  # fmt: skip
    rep_head = [
        *head, "rep", "side", "start_s", "end_s", "duration_s", "tempo_s", "peak", "rom", "good",
        "faults", *measures,
    ]  # fmt: skip
    return {
        "sessions.csv": _table(session_head, session_rows),
        "reps.csv": _table(rep_head, rep_rows),
        "holds.csv": _table(
            [*head, "side", "start_s", "end_s", "duration_s", "rom", "rom_best", "counted"],
            hold_rows,
        ),
        "faults.csv": _table(
            [*head, "rule", "severity", "start_s", "end_s", "message"], fault_rows
        ),
    }


def patient_csv_zip(store: HistoryStore, patient: Patient) -> bytes:
    """The CSV tables and a README, zipped (one file to download or send)."""
    return _csv_zip(patient, store.sessions(patient.id))


def _csv_zip(patient: Patient, sessions: list[StoredSession]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        readme = _README.format(
            name=patient.name, when=_iso(datetime.now(UTC)), version=__version__
        )
        archive.writestr("README.txt", readme)
        for name, text in csv_tables(sessions).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def export_payload(store: HistoryStore, patient: Patient, kind: str) -> tuple[int, bytes]:
    """``kind`` ("json" or "csv") as bytes, with the number of sessions in it. The caller writes
    them through :func:`formcheck.outputs.stage_outputs`, so an export appears only once whole
    and never over the database."""
    if kind == "json":
        data = patient_json(store, patient)
        return len(data["sessions"]), (json.dumps(data, indent=2) + "\n").encode("utf-8")
    sessions = store.sessions(patient.id)
    return len(sessions), _csv_zip(patient, sessions)
