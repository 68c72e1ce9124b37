"""``formcheck report``: a patient's clinician report as a PDF.

Registered on the main parser by :func:`register`, like :mod:`formcheck.history.cli`; errors are
:class:`~formcheck.history.errors.HistoryError` or :class:`~formcheck.outputs.OutputError`, which
``formcheck.cli`` prints as one line with exit status 2. The PDF goes through
:func:`~formcheck.outputs.stage_outputs`: an existing file needs ``--force``, the history's own
file and the videos the report reads are never written over, and a failure leaves no partial file.
"""

from __future__ import annotations

import argparse
from datetime import date

from formcheck.history.errors import HistoryError

# The days a report may cover: wide enough for any real history, narrow enough that a day
# before or after still exists and every database can compare with it.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def parse_day(option: str, text: str) -> date:
    """An ISO date (``YYYY-MM-DD``) given to ``option``, between :data:`FIRST_DAY` and
    :data:`LAST_DAY`.

    Raises:
        HistoryError: not a date, or out of that range.
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise HistoryError(f"{option} {text!r} is not a date: write it as YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise HistoryError(
            f"{option} {day.isoformat()} is out of range: give a day from {FIRST_DAY} to {LAST_DAY}"
        )
    return day


def period_from(date_from: str | None, date_to: str | None, today: date) -> tuple[date, date]:
    """(first, last) day from the options: ``--to`` defaults to today, ``--from`` to four weeks
    before it.

    Raises:
        HistoryError: a date that does not parse, or ``--from`` after ``--to``.
    """
    from formcheck.report.trends import default_period

    last = parse_day("--to", date_to) if date_to else today
    first = parse_day("--from", date_from) if date_from else None
    period = default_period(last, first)
    if period.first > period.last:
        raise HistoryError(f"--from {period.first} is after --to {period.last}")
    return period.first, period.last


def cmd_report(args: argparse.Namespace) -> int:
    """`formcheck report`: a patient's clinician report over a period, written as a PDF."""
    from formcheck.history.cli import _patient
    from formcheck.history.database import database_files
    from formcheck.history.store import HistoryStore, label
    from formcheck.outputs import stage_outputs
    from formcheck.report.pdf import ReportData, build_pdf
    from formcheck.report.stills import video_for
    from formcheck.report.trends import Period, plans_for
    from formcheck.specs.loader import SpecError, scan_specs

    first, last = period_from(args.date_from, args.date_to, date.today())
    period = Period(first, last)
    try:
        specs = scan_specs().specs
    except SpecError:
        specs = {}  # the report still shows the history, named by exercise id
    database = database_files(args.db)
    # Checked before the database is opened (which would create it): never written over.
    stage_outputs({"--pdf": args.pdf}, database, force=args.force).discard()
    with HistoryStore(args.db) as store:
        patient = _patient(store, args)
        since, until = period.bounds()
        sessions = store.sessions(patient.id, since=since, until=until)
    videos = [v for s in sessions if (v := video_for(s, {})) is not None]
    inputs = [*videos, *database]
    with stage_outputs({"--pdf": args.pdf}, inputs, force=args.force, private=True) as staged:
        data = ReportData(patient, period, sessions, plans_for(specs))
        staged.path("--pdf").write_bytes(build_pdf(data))
        staged.commit()
    print(
        f"wrote the report of {label(patient)} ({len(sessions)} sessions, {period.label}) "
        f"to {args.pdf}"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report`` to the main parser's subcommands."""
    from formcheck.history.cli import add_patient_options

    p = sub.add_parser("report", help="a patient's clinician report (PDF, one or two pages)")
    add_patient_options(p, required=True, what="the patient")
    p.add_argument(
        "--from", dest="date_from", metavar="DATE", help="first day, YYYY-MM-DD "
        "(default: four weeks before --to)",
    )  # fmt: skip
    p.add_argument(
        "--to", dest="date_to", metavar="DATE", help="last day, included (default: today)"
    )
    p.add_argument("--pdf", metavar="OUT.pdf", required=True, help="where to write the report")
    p.add_argument("--force", action="store_true", help="replace OUT.pdf if it exists")
    p.add_argument(
        "--db", metavar="URL", help="database URL (default: $FORMCHECK_DB or the local file)"
    )
    p.set_defaults(func=cmd_report)
