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
    from formcheck.history.store import printable

    parts = [f"{s.id:>5}", _local(s.started_at), printable(s.patient_name), s.exercise, s.source]
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


def add_patient_options(parser: argparse.ArgumentParser, required: bool, what: str) -> None:
    """``--patient NAME`` or ``--patient-id N``: a name is always a name (a patient may be
    called ``2``), an id is asked for as one."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--patient", metavar="NAME", help=f"{what}, by name (#N: by id)")
    group.add_argument("--patient-id", metavar="N", help=f"{what}, by id")


def find_patient(store: HistoryStore, args: argparse.Namespace) -> Patient | None:
    """The patient named by ``--patient`` or ``--patient-id``, or ``None`` when neither was
    given.

    Raises:
        HistoryError: no such patient, or an id that is not one.
    """
    from formcheck.history.store import parse_id

    if getattr(args, "patient_id", None) is not None:
        return store.patient_by_id(parse_id(args.patient_id, "patient"))
    if getattr(args, "patient", None) is not None:
        return store.patient(args.patient)
    return None


def _patient(store: HistoryStore, args: argparse.Namespace) -> Patient:
    patient = find_patient(store, args)
    if patient is None:
        raise HistoryError("give the patient with --patient NAME or --patient-id N")
    return patient


def cmd_list(args: argparse.Namespace) -> int:
    """``history list``: the saved sessions, a line each."""
    with _store(args.db) as store:
        chosen = find_patient(store, args)
        patient_id = chosen.id if chosen else None
        sessions = store.sessions(patient_id, exercise=args.exercise)
    for s in sessions:
        print(_summary(s))
    if not sessions:
        print("no sessions saved")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """``history show``: one session in full."""
    from formcheck.history.store import parse_id

    session_id = parse_id(args.session_id, "session")
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
    """``history export``: a patient's sessions as JSON or CSV."""
    from formcheck.history.database import database_files
    from formcheck.history.export import export_payload
    from formcheck.history.store import label
    from formcheck.outputs import stage_outputs

    option, kind = ("--json", "json") if args.json else ("--csv", "csv")
    outputs = {option: args.json or args.csv}
    # The database is an input: an export never replaces it, even with --force.
    with stage_outputs(outputs, database_files(args.db), force=args.force, private=True) as staged:
        with _store(args.db) as store:
            patient = _patient(store, args)
            count, payload = export_payload(store, patient, kind)
        staged.path(option).write_bytes(payload)
        (path,) = staged.commit()
    print(f"exported {count} sessions of {label(patient)} to {path}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    """``history delete``: remove a patient or a session, and the recordings formcheck made."""
    from formcheck.history.store import label, printable

    with _store(args.db) as store:
        patient = _patient(store, args)
        if not args.yes:
            _confirm(
                f"Delete {label(patient)} and all {len(store.sessions(patient.id))} of their "
                "sessions and recordings? [y/N] ",
                "deleting a patient",
            )
        deleted = store.delete_patient(patient.id)
    files = len(deleted.recordings_removed)
    print(f"deleted {label(deleted.patient)}: {deleted.sessions} sessions, {files} recordings")
    for name in deleted.recordings_refused:
        print(
            f"  not removed: {printable(name)} (not a recording formcheck made in this patient's "
            "recordings folder)"
        )
    return 0


def _confirm(question: str, doing: str) -> None:
    if not sys.stdin.isatty():
        raise HistoryError(f"{doing} needs --yes when not run from a terminal")
    # Asked on stdout and read from stdin directly: input() would put the question on stderr,
    # which is silenced while a command runs (see formcheck.cli).
    print(question, end="", flush=True)
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        raise HistoryError("nothing changed")


def cmd_backup(args: argparse.Namespace) -> int:
    """``history backup``: a consistent copy of the database."""
    from formcheck.history.backup import backup
    from formcheck.history.database import database_files
    from formcheck.outputs import stage_outputs

    with stage_outputs(
        {"OUT": args.out}, database_files(args.db), force=args.force, private=True
    ) as staged:
        counts = backup(args.db, staged.path("OUT"))
        (path,) = staged.commit()
    print(f"backed up the history ({counts}) to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """``history restore``: replace the database with a checked backup."""
    from formcheck.history.backup import check_backup, current_counts, restore

    source = Path(args.backup)
    counts = check_backup(args.db, source)
    if not args.yes:
        _confirm(
            f"Replace the whole history ({current_counts(args.db)}) with {source} ({counts})? "
            "[y/N] ",
            "restoring a backup",
        )
    restore(args.db, source)
    print(f"restored the history from {source} ({counts})")
    return 0


def cmd_patients_add(args: argparse.Namespace) -> int:
    """``history patients add``: a new patient."""
    with _store(args.db) as store:
        patient = store.add_patient(args.name)
    from formcheck.history.store import printable

    print(f"patient {patient.id}: {printable(patient.name)}")
    return 0


def cmd_patients_list(args: argparse.Namespace) -> int:
    """``history patients list``: every patient with an id."""
    from formcheck.history.store import printable

    with _store(args.db) as store:
        patients = store.patients()
    for p in patients:
        print(f"{p.id:>5}  {printable(p.name)}  (since {_local(p.created_at)})")
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
    add_patient_options(c, required=False, what="only this patient's")
    c.add_argument("--exercise", metavar="ID", help="only this exercise")
    c.set_defaults(func=cmd_list)
    c = hsub.add_parser("show", parents=[db], help="one session with its reps, holds and faults")
    c.add_argument("session_id", metavar="SESSION_ID")
    c.set_defaults(func=cmd_show)
    c = hsub.add_parser("export", parents=[db], help="export a patient's whole history")
    add_patient_options(c, required=True, what="the patient")
    out = c.add_mutually_exclusive_group(required=True)
    out.add_argument("--json", metavar="OUT", help="one JSON file")
    out.add_argument("--csv", metavar="OUT.zip", help="a zip of CSV tables with a README")
    c.add_argument("--force", action="store_true", help="replace OUT if it exists")
    c.set_defaults(func=cmd_export)
    c = hsub.add_parser(
        "delete", parents=[db], help="delete a patient, their sessions and recordings"
    )
    add_patient_options(c, required=True, what="the patient")
    c.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    c.set_defaults(func=cmd_delete)
    c = hsub.add_parser(
        "backup", parents=[db], help="copy the whole history (SQLite) into one file, safely"
    )
    c.add_argument("out", metavar="OUT", help="the backup file to write")
    c.add_argument("--force", action="store_true", help="replace OUT if it exists")
    c.set_defaults(func=cmd_backup)
    c = hsub.add_parser(
        "restore", parents=[db], help="replace the whole history with a backup (SQLite)"
    )
    c.add_argument("backup", metavar="IN", help="a file written by 'formcheck history backup'")
    c.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    c.set_defaults(func=cmd_restore)

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
    add_patient_options(parser, required=False, what="the patient to save it for")


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
    named = args.patient is not None or args.patient_id is not None
    if not args.save_to_history:
        if named:
            raise HistoryError("--patient is only used with --save-to-history")
        return None
    if not named:
        raise HistoryError("--save-to-history needs --patient NAME or --patient-id N")
    from formcheck.history.store import HistoryStore

    started_at = datetime.now(UTC)
    store = HistoryStore()
    try:
        patient = _patient(store, args)
        store.check_writable()
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
        from formcheck.history.store import label

        print(f"saved to history: session {session_id} for {label(target.patient)}")
