"""Turning one result dict (:func:`formcheck.results.to_dict`) and what the caller knows about
the set into rows.

The result says what happened in the clip or set; :class:`SessionContext` adds what only the
caller knows: when it happened, where it came from, the program and the prescription.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jsonschema

from formcheck import __version__
from formcheck.history.errors import HistoryError
from formcheck.history.models import FaultRow, HoldRow, RepRow, SessionRow
from formcheck.results import result_schema

if TYPE_CHECKING:
    from formcheck.specs.schema import ExerciseSpec

Source = Literal["practice", "review", "cli", "batch"]
SOURCES: tuple[Source, ...] = ("practice", "review", "cli", "batch")


@dataclass(frozen=True)
class SessionContext:
    """What the caller adds to a result. Naive datetimes are read as local time.

    Attributes:
        source: ``practice`` (a live set), ``review`` (a clip on the review page), ``cli`` or
            ``batch`` (``formcheck batch``).
        started_at: When the set or the analysis began.
        ended_at: When it ended.
        spec_version: :func:`spec_version` of the spec the set was judged with.
        program: Program id, when the set was part of one.
        set_index: 1-based set within the program item or prescription.
        sets_prescribed: Sets prescribed for this exercise.
        reps_prescribed: Reps prescribed per set.
        hold_target_s: Target hold, per hold and side.
        recording_path: A local recording of this set, deleted with it.
        app_version: The formcheck version that judged it.
        clip_identity: A batch clip's identity; the database refuses a second row with it.
    """

    source: Source
    started_at: datetime
    ended_at: datetime
    spec_version: str
    program: str | None = None
    set_index: int | None = None
    sets_prescribed: int | None = None
    reps_prescribed: int | None = None
    hold_target_s: float | None = None
    recording_path: Path | None = None
    app_version: str = __version__
    clip_identity: str | None = None


def spec_version(spec: ExerciseSpec) -> str:
    """A short hash of the spec as validated (its ``based_on`` base and any patient overrides
    included): specs carry no version number, and what judged the set is what matters."""
    return hashlib.sha256(spec.model_dump_json().encode("utf-8")).hexdigest()[:16]


def context_for(
    spec: ExerciseSpec,
    source: Source,
    started_at: datetime,
    ended_at: datetime,
    **overrides: Any,
) -> SessionContext:
    """A context with the spec's version and its prescription (sets, reps per set for a reps
    exercise, the hold target for a hold); ``overrides`` replace any field, e.g. a program's
    own ``reps`` as ``reps_prescribed``."""
    p = spec.prescription
    values: dict[str, Any] = {
        "sets_prescribed": p.sets if spec.kind == "reps" else p.repeats,
        "reps_prescribed": p.reps if spec.kind == "reps" else None,
        "hold_target_s": p.hold_s if spec.kind == "hold" else None,
    }
    values.update(overrides)
    return SessionContext(source, started_at, ended_at, spec_version(spec), **values)


def check_result(result: Mapping[str, Any]) -> None:
    """Raise :class:`HistoryError` unless ``result`` matches the result schema and holds only
    finite numbers (PostgreSQL's JSON has no NaN)."""
    try:
        jsonschema.validate(dict(result), result_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise HistoryError(f"not a formcheck result: {where}: {exc.message}") from None
    try:
        json.dumps(result, allow_nan=False)
    except ValueError:
        raise HistoryError("not a formcheck result: it holds NaN or infinity") from None


def session_row(patient_id: int, result: Mapping[str, Any], context: SessionContext) -> SessionRow:
    """The session row with its reps, holds and faults, ready to add in one transaction.

    Raises:
        HistoryError: the result does not match its schema, the source is unknown or the end
            comes before the start.
    """
    check_result(result)
    if context.source not in SOURCES:
        raise HistoryError(f"source must be one of {', '.join(SOURCES)}, not {context.source!r}")
    if context.ended_at < context.started_at:
        raise HistoryError(
            f"a session cannot end ({context.ended_at}) before it starts ({context.started_at})"
        )
    reps = result["reps"]
    rom = result.get("range_of_motion") or {}
    row = SessionRow(
        patient_id=patient_id,
        exercise=result["exercise"],
        spec_version=context.spec_version,
        program=context.program,
        set_index=context.set_index,
        sets_prescribed=context.sets_prescribed,
        source=context.source,
        clip=result["source"] or None,
        started_at=context.started_at,
        ended_at=context.ended_at,
        duration_s=result["duration_s"],
        app_version=context.app_version,
        view=result["view"],
        side=result["side"],
        frames=result["frames"],
        frames_with_pose=result["frames_with_pose"],
        reps_good=reps["good"],
        reps_faulty=reps["faulty"],
        reps_prescribed=context.reps_prescribed,
        hold_target_s=context.hold_target_s,
        cannot_judge_share=round(1.0 - result["assessable_fraction"], 3),
        stopped_for_pain=result["stopped_for_pain"],
        recording_path=str(context.recording_path.resolve()) if context.recording_path else None,
        rom_signal=rom.get("signal"),
        rom_better=rom.get("better"),
        rules_not_checked=dict(result.get("rules_not_checked", {})),
        not_counted=list(reps.get("not_counted", [])),
        reps=[
            RepRow(
                rep_index=r["index"],
                side=r.get("side", "none"),
                start_s=r["start_s"],
                end_s=r["end_s"],
                tempo_s=r.get("tempo_s"),
                peak=r["peak"],
                rom=r.get("rom"),
                faults=list(r["faults"]),
                measures=dict(r.get("measures", {})),
            )
            for r in reps["events"]
        ],
        holds=[
            HoldRow(
                side=h["side"],
                start_s=h["start_s"],
                end_s=h["end_s"],
                duration_s=h["duration_s"],
                rom=h.get("rom"),
                counted=counted,
                rom_best=h.get("rom_best"),
            )
            for key, counted in (("holds", True), ("short_holds", False))
            for h in result.get(key, [])
        ],
        faults=[
            FaultRow(
                rule=f["rule"],
                severity=f.get("severity", "error"),
                start_s=f["start_s"],
                end_s=f["end_s"],
                message=f.get("message", ""),
            )
            for f in result["faults"]
        ],
    )
    if context.clip_identity is not None:
        # Only a batch clip names the column; other rows leave it to the server's default.
        row.clip_identity = context.clip_identity
    return row
