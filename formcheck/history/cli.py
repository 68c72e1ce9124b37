"""``formcheck history`` and ``formcheck patients``, and saving ``formcheck analyze`` results.

Patients are created explicitly (``patients add``) rather than on first save: a mistyped code
would otherwise start a second, silent history for the same person. Every failure is one line
and exit status 2: everything here raises :class:`HistoryError`, which ``formcheck.cli.main``
reports like its own errors. (This module does not import ``formcheck.cli``: run as
``python -m formcheck.cli`` that module is ``__main__``, and its classes are not the ones an
import would give.)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.history.errors import HistoryError

if TYPE_CHECKING:
    from formcheck.history.records import Patient, StoredSession
    from formcheck.history.store import HistoryStore
    from formcheck.specs.schema import ExerciseSpec


def _store(url: str | None) -> HistoryStore:
    from formcheck.history.store import HistoryStore

    return HistoryStore(url)


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def _summary(s: StoredSession) -> str:
    """One line per session for ``history list``."""
    parts = [f"{s.id:>5}", _local(s.started_at), s.patient_name, s.exercise, s.source]
    if s.set_index is not None:
        parts.append(f"set {s.set_index}" + (f"/{s.sets_prescribed}" if s.sets_prescribed else ""))
    if s.reps_done or s.reps_prescribed:
        target = f"/{s.reps_prescribed}" if s.reps_prescribed else ""
        parts.append(f"reps {s.reps_done}{target} ({s.reps_good} good, {s.reps_faulty} faulty)")
    best = s.best_hold_s()
    if best or s.hold_target_s:
        held = ", ".join(f"{side} {v:.1f} s" for side, v in sorted(best.items())) or "none"
        target = f" (target {s.hold_target_s:g} s)" if s.hold_target_s else ""
        parts.append(f"hold {held}{target}")
    parts.append(f"not judged {s.cannot_judge_share:.0%}")
    if s.stopped_for_pain:
        parts.append("STOPPED FOR PAIN")
    return "  ".join(parts)


def cmd_list(args: argparse.Namespace) -> int:
    with _store(args.db) as store:
        patient_id = store.patient(args.patient).id if args.patient else None
        sessions = store.sessions(patient_id, exercise=args.exercise)
    for s in sessions:
        print(_summary(s))
    if not sessions:
        print("no sessions saved")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    try:
        session_id = int(args.session_id)
    except ValueError:
        raise HistoryError(f"a session id is a number, not {args.session_id!r}") from None
    with _store(args.db) as store:
        s = store.session(session_id)
    print(_summary(s))
    print(
        f"  {_local(s.started_at)} to {_local(s.ended_at)}, {s.duration_s:.1f} s, view {s.view}, "
        f"side {s.side}, spec {s.spec_version}, formcheck {s.app_version}"
    )
    if s.program:
        print(f"  program {s.program}")
    if s.clip:
        print(f"  clip {s.clip}")
    if s.recording_path:
        print(f"  recording {s.recording_path}")
    for r in s.reps:
        measures = "".join(
            f"  {name} {'-' if v is None else f'{v:g}'}" for name, v in sorted(r.measures.items())
        )
        rom = "" if r.rom is None else f"  rom {r.rom:g}"
        verdict = ", ".join(r.faults) or "ok"
        print(f"  rep {r.index}: {r.start_s:.1f}-{r.end_s:.1f} s{rom}{measures}  {verdict}")
    for h in s.holds:
        short = "" if h.counted else " (too short to count)"
        print(f"  hold ({h.side}): {h.start_s:.1f}-{h.end_s:.1f} s, {h.duration_s:.1f} s{short}")
    for f in s.faults:
        print(f"  fault {f.rule} ({f.severity}): {f.start_s:.1f}-{f.end_s:.1f} s  {f.message}")
    for rule, share in sorted(s.rules_not_checked.items()):
        print(f"  not checked in this view: {rule} ({share:.0%} of the time it applied)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from formcheck.history.export import write_export

    kind, out = ("json", args.json) if args.json else ("csv", args.csv)
    path = Path(out)
    if not path.resolve().parent.is_dir():
        raise HistoryError(f"the folder for {out} does not exist")
    if path.exists() and not args.force:
        raise HistoryError(f"{out} already exists: give --force to replace it")
    with _store(args.db) as store:
        patient = store.patient(args.patient)
        count = write_export(store, patient, path, kind)
    print(f"exported {count} sessions of {patient.name} to {path}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _store(args.db) as store:
        patient = store.patient(args.patient)
        if not args.yes:
            _confirm(patient, len(store.sessions(patient.id)))
        deleted = store.delete_patient(patient.id)
    files = len(deleted.recordings_removed)
    print(f"deleted {deleted.patient.name}: {deleted.sessions} sessions, {files} recordings")
    return 0


def _confirm(patient: Patient, sessions: int) -> None:
    if not sys.stdin.isatty():
        raise HistoryError("deleting a patient needs --yes when not run from a terminal")
    answer = input(f"Delete {patient.name} and all {sessions} of their sessions? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise HistoryError("nothing deleted")


def cmd_patients_add(args: argparse.Namespace) -> int:
    with _store(args.db) as store:
        patient = store.add_patient(args.name)
    print(f"patient {patient.id}: {patient.name}")
    return 0


def cmd_patients_list(args: argparse.Namespace) -> int:
    with _store(args.db) as store:
        patients = store.patients()
    for p in patients:
        print(f"{p.id:>5}  {p.name}  (since {_local(p.created_at)})")
    if not patients:
        print("no patients yet: add one with 'formcheck patients add NAME'")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``history`` and ``patients`` to the main parser's subcommands."""
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db", metavar="URL", help="database URL (default: $FORMCHECK_DB or the local file)"
    )

    p = sub.add_parser("history", help="saved sessions: list, show, export, delete")
    hsub = p.add_subparsers(dest="history_command", required=True)
    c = hsub.add_parser("list", parents=[db], help="list saved sessions, oldest first")
    c.add_argument("--patient", metavar="ID", help="only this patient's (name or id)")
    c.add_argument("--exercise", metavar="ID", help="only this exercise")
    c.set_defaults(func=cmd_list)
    c = hsub.add_parser("show", parents=[db], help="one session with its reps, holds and faults")
    c.add_argument("session_id", metavar="SESSION_ID")
    c.set_defaults(func=cmd_show)
    c = hsub.add_parser("export", parents=[db], help="export a patient's whole history")
    c.add_argument("--patient", metavar="ID", required=True, help="name or id")
    out = c.add_mutually_exclusive_group(required=True)
    out.add_argument("--json", metavar="OUT", help="one JSON file")
    out.add_argument("--csv", metavar="OUT.zip", help="a zip of CSV tables with a README")
    c.add_argument("--force", action="store_true", help="replace OUT if it exists")
    c.set_defaults(func=cmd_export)
    c = hsub.add_parser(
        "delete", parents=[db], help="delete a patient, their sessions and recordings"
    )
    c.add_argument("--patient", metavar="ID", required=True, help="name or id")
    c.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    c.set_defaults(func=cmd_delete)

    p = sub.add_parser("patients", help="patient profiles on this machine")
    psub = p.add_subparsers(dest="patients_command", required=True)
    c = psub.add_parser("add", parents=[db], help="add a patient (a name or a code)")
    c.add_argument("name")
    c.set_defaults(func=cmd_patients_add)
    c = psub.add_parser("list", parents=[db], help="list patients")
    c.set_defaults(func=cmd_patients_list)


# -- formcheck analyze --save-to-history ----------------------------------------------------------


def add_analyze_options(parser: argparse.ArgumentParser) -> None:
    """The ``analyze`` options that save its result to the history."""
    parser.add_argument(
        "--save-to-history", action="store_true", help="save the result in the patient's history"
    )
    parser.add_argument("--patient", metavar="ID", help="the patient (name or id) to save it for")


@dataclass
class SaveTarget:
    """Where an ``analyze`` result goes, found before the analysis runs."""

    store: HistoryStore
    patient: Patient
    started_at: datetime
    quiet: bool


def open_target(args: argparse.Namespace) -> SaveTarget | None:
    """Open the store and find the patient before analysing, so an unknown patient or an
    unreachable database fails at once rather than after the analysis; ``None`` when the
    result is not to be saved."""
    if not args.save_to_history:
        if args.patient:
            raise HistoryError("--patient is only used with --save-to-history")
        return None
    if not args.patient:
        raise HistoryError("--save-to-history needs --patient ID")
    from formcheck.history.store import HistoryStore

    started_at = datetime.now(UTC)
    store = HistoryStore()
    try:
        patient = store.patient(args.patient)
    except HistoryError:
        store.close()
        raise
    return SaveTarget(store, patient, started_at, args.quiet)


def save_analysis(target: SaveTarget | None, result: dict[str, Any], spec: ExerciseSpec) -> None:
    """Save an analysed clip (source ``cli``), timed from the start of the analysis to now."""
    if target is None:
        return
    from formcheck.history.from_result import context_for

    context = context_for(spec, "cli", target.started_at, datetime.now(UTC))
    try:
        session_id = target.store.save_session(target.patient.id, result, context)
    finally:
        target.store.close()
    if not target.quiet:
        print(f"saved to history: session {session_id} for {target.patient.name}")
