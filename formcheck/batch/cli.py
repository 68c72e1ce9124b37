"""``formcheck batch``: analyse a folder or a manifest of clips on Ray, into the history.

Registered on the main parser by :func:`register`; its errors are
:class:`~formcheck.batch.inputs.BatchInputError`, which ``formcheck.cli`` prints as one line with
exit status 2. Bad arguments (a missing source, a manifest
without its columns, a cluster with a SQLite history, an unknown ``--exercise``) end with one line
and exit status 2 before any clip is read; a clip that fails is listed with its reason and the
batch goes on, ending with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

EXIT_SOME_FAILED = 1


def register(sub: Any) -> None:
    """Add ``batch`` to the ``formcheck`` subcommands."""
    p = sub.add_parser(
        "batch",
        help="analyse many stored clips on Ray, into the history",
        description="Analyse every clip of a folder (one exercise, one patient) or of a CSV "
        "manifest (header clip,patient,exercise[,side]; paths relative to the manifest), each "
        "exactly as 'formcheck analyze' does, and save each result to the history "
        "(FORMCHECK_DB) with source 'batch'. A clip already saved with the same bytes, "
        "exercise, spec and model is skipped, so a batch run again does only what is left. "
        "Ray runs on this machine, one worker per core, unless --address (or RAY_ADDRESS) names "
        "a cluster; the history must then be PostgreSQL. Exit status: 0 every clip saved or "
        "skipped, 1 some clips failed (listed), 2 bad arguments.",
    )
    p.add_argument("source", help="a folder of clips, or a .csv manifest")
    p.add_argument("--exercise", metavar="ID", help="the exercise of every clip in a folder")
    p.add_argument("--patient", metavar="NAME", help="the patient of every clip in a folder")
    p.add_argument("--side", choices=["left", "right", "auto"], default="auto")
    p.add_argument("--out", metavar="DIR", help="also write each clip's result JSON here")
    p.add_argument(
        "--annotate", action="store_true", help="also write each clip's annotated video to --out"
    )
    p.add_argument("--json", metavar="SUMMARY", help="write the batch summary as JSON")
    p.add_argument(
        "--address", metavar="HOST:PORT", help="an existing Ray cluster (default: $RAY_ADDRESS)"
    )
    p.add_argument(
        "--workers", type=int, metavar="N", help="workers (default: one per core of Ray)"
    )
    p.add_argument(
        "--bench",
        action="store_true",
        help="time the clips with 1 worker and with all, save nothing, print JSON last",
    )
    p.add_argument("--model", metavar="PATH", help="a pose_landmarker .task file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="replace an existing --json file")
    p.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from formcheck.batch.inputs import BatchInputError, find_jobs
    from formcheck.batch.run import BatchSetupError, check_history_for, ray_address
    from formcheck.outputs import stage_outputs

    if args.annotate and not args.out:
        raise BatchInputError("--annotate writes into --out DIR: give both")
    if args.workers is not None and args.workers < 1:
        raise BatchInputError(f"--workers must be 1 or more, got {args.workers}")
    if args.exercise:
        _known_exercise(args.exercise)
    source = Path(args.source)
    jobs = find_jobs(source, args.exercise, args.patient, need_patient=not args.bench)
    if args.side != "auto":
        jobs = [_with_side(job, args.side) for job in jobs]
    address = ray_address(args.address)
    from formcheck.history.database import resolve_url

    db_url = None if args.bench else resolve_url()
    if db_url is not None:
        try:
            check_history_for(address, db_url)
        except BatchSetupError as exc:
            raise BatchInputError(str(exc)) from None
    model = _model_path(args.model)
    model_bytes = model.read_bytes()
    inputs = [j.clip for j in jobs] + [model]
    with stage_outputs({"--json": args.json}, inputs, force=args.force) as staged:
        try:
            if args.bench:
                code, summary = _bench(args, jobs, model, model_bytes, address)
            else:
                code, summary = _batch(args, jobs, model, model_bytes, address, db_url)
        except BatchSetupError as exc:
            raise BatchInputError(str(exc)) from None
        if staged.wanted("--json"):
            staged.path("--json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        staged.commit()
    if args.bench:
        print(json.dumps(summary))
    return code


def _known_exercise(exercise: str) -> None:
    from formcheck.batch.inputs import BatchInputError
    from formcheck.specs.loader import SpecError, load_spec

    try:
        load_spec(exercise)
    except SpecError as exc:
        raise BatchInputError(str(exc)) from None


def _model_path(model: str | None) -> Path:
    from formcheck.batch.inputs import BatchInputError
    from formcheck.pose.model_store import ModelInstallError, resolve_model

    try:
        return resolve_model(Path(model) if model else None)
    except ModelInstallError as exc:
        raise BatchInputError(str(exc)) from None


def _with_side(job: Any, side: str) -> Any:
    from dataclasses import replace

    return replace(job, side=side)


def _settings(args: argparse.Namespace, model: Path, model_bytes: bytes, db_url: str | None) -> Any:
    import hashlib

    from formcheck.batch.worker import WorkerSettings

    return WorkerSettings(
        model_name=model.name,
        model_sha256=hashlib.sha256(model_bytes).hexdigest(),
        db_url=db_url,
        out_dir=Path(args.out) if args.out else None,
        annotate=args.annotate,
    )


def _bench(
    args: argparse.Namespace, jobs: list[Any], model: Path, model_bytes: bytes, address: str | None
) -> tuple[int, dict[str, Any]]:
    from formcheck.batch.run import bench, ray_session

    settings = _settings(args, model, model_bytes, None)
    with ray_session(address, args.workers or os.cpu_count() or 1) as cpus:
        figures = bench(jobs, settings, model_bytes, args.workers or cpus)
    return (EXIT_SOME_FAILED if figures["failed"] else 0), figures


def _batch(
    args: argparse.Namespace,
    jobs: list[Any],
    model: Path,
    model_bytes: bytes,
    address: str | None,
    db_url: str | None,
) -> tuple[int, dict[str, Any]]:
    from formcheck.batch.run import Progress, ray_session, run_jobs
    from formcheck.batch.worker import ClipOutcome

    patient_ids = _patients(db_url, {j.patient for j in jobs if j.patient})
    settings = _settings(args, model, model_bytes, db_url)
    progress = Progress()
    outcomes: list[ClipOutcome] = []
    bar = _bar(len(jobs), enabled=sys.stderr.isatty() and not args.quiet)
    started = time.perf_counter()

    def on_outcome(outcome: ClipOutcome) -> None:
        progress.add(outcome)
        outcomes.append(outcome)
        elapsed = max(time.perf_counter() - started, 1e-9)
        bar.set_postfix_str(
            f"saved {progress.saved}, skipped {progress.skipped}, failed {progress.failed}, "
            f"{progress.frames / elapsed:.0f} frames/s"
        )
        bar.update(1)

    with bar, ray_session(address, args.workers or os.cpu_count() or 1) as cpus:
        workers = args.workers or cpus
        run_jobs(jobs, patient_ids, settings, model_bytes, workers, on_outcome)
    seconds = time.perf_counter() - started
    summary = summarise(outcomes, workers, seconds, address)
    print(format_summary(summary))
    return (EXIT_SOME_FAILED if summary["failed"] else 0), summary


def _bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="clip", desc="batch", disable=not enabled)


def _patients(db_url: str | None, names: set[str]) -> dict[str, int]:
    """Each patient's id, the profile added when it is new (a batch brings in an archive). A
    name the history refuses is left out: its clips fail with the reason."""
    if db_url is None or not names:
        return {}
    from formcheck.history.errors import HistoryError
    from formcheck.history.store import HistoryStore

    ids: dict[str, int] = {}
    with HistoryStore(db_url) as store:
        known = {p.name: p.id for p in store.patients()}
        for name in sorted(names):
            if name in known:
                ids[name] = known[name]
                continue
            try:
                ids[name] = store.add_patient(name).id
            except HistoryError:
                try:  # added meanwhile by another batch, or a name the history refuses
                    ids[name] = store.patient(name).id
                except HistoryError:
                    continue
    return ids


def summarise(
    outcomes: list[Any], workers: int, seconds: float, address: str | None
) -> dict[str, Any]:
    """The batch summary (``--json SUMMARY``): totals, per exercise, and each failure."""
    exercises: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = exercises.setdefault(
            o.exercise,
            {"clips": 0, "saved": 0, "skipped": 0, "failed": 0, "reps": 0, "faults": 0},
        )
        row["clips"] += 1
        row[o.status if o.status != "analysed" else "saved"] += 1
        if o.status in ("saved", "analysed"):
            row["reps"] += o.reps
            row["faults"] += o.faults
    frames = sum(o.frames for o in outcomes if o.status in ("saved", "analysed"))
    return {
        "clips": len(outcomes),
        "saved": sum(o.status == "saved" for o in outcomes),
        "skipped": sum(o.status == "skipped" for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
        "workers": workers,
        "ray": address or "embedded",
        "seconds": round(seconds, 2),
        "frames": frames,
        "frames_per_s": round(frames / seconds, 1) if seconds > 0 else None,
        "exercises": dict(sorted(exercises.items())),
        "failures": [
            {"clip": o.name, "exercise": o.exercise, "reason": o.reason}
            for o in sorted(outcomes, key=lambda o: o.name)
            if o.status == "failed"
        ],
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The per-exercise table and the failures, as printed at the end of a batch."""
    header = f"{'exercise':32s} {'clips':>6s} {'saved':>6s} {'skipped':>8s} {'failed':>7s}"
    header += f" {'reps':>6s} {'faults':>7s}"
    lines = [header]
    for exercise, row in summary["exercises"].items():
        lines.append(
            f"{exercise:32s} {row['clips']:6d} {row['saved']:6d} {row['skipped']:8d} "
            f"{row['failed']:7d} {row['reps']:6d} {row['faults']:7d}"
        )
    lines.append(
        f"{summary['clips']} clips: {summary['saved']} saved, {summary['skipped']} skipped, "
        f"{summary['failed']} failed; {summary['frames']} frames in {summary['seconds']:.1f} s "
        f"on {summary['workers']} worker{'s' if summary['workers'] != 1 else ''}"
    )
    for f in summary["failures"]:
        lines.append(f"failed: {f['clip']} ({f['exercise']}): {f['reason']}")
    return "\n".join(lines)
