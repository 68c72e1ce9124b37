"""Turning one result (the result model, or its dict from :func:`formcheck.results.to_dict`) and
what the caller knows about the set into rows, and rows back into the result's reps, holds and
faults: the one place where the history maps the result model to its tables.

The result says what happened in the clip or set; :class:`SessionContext` adds what only the
caller knows: when it happened, where it came from, the program and the prescription. A rep's,
hold's or fault's fields go to the columns of the same name, so a field added to the model needs
only its column (and an Alembic revision) here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import jsonschema
from pydantic import BaseModel, ValidationError

from formcheck import __version__
from formcheck.history.errors import HistoryError
from formcheck.history.models import Base, FaultRow, HoldRow, RepRow, SessionRow
from formcheck.result_model import AnalysisResult
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


def parse_result(result: Mapping[str, Any] | AnalysisResult) -> AnalysisResult:
    """``result`` as the result model; a dict is checked against the result schema first.

    Raises:
        HistoryError: the dict does not match the result schema or holds NaN or infinity.
    """
    if isinstance(result, AnalysisResult):
        result = result.model_dump(mode="json")
    check_result(result)
    try:
        return AnalysisResult.model_validate(result)
    except ValidationError as exc:
        raise HistoryError(f"not a formcheck result: {exc.errors()[0]['msg']}") from None


# A rep's, hold's or fault's fields are its row's columns, by name; where a column is named
# otherwise (``index`` is a word SQL reserves), here.
_COLUMN_OF = {"index": "rep_index"}
_FIELD_OF = {column: name for name, column in _COLUMN_OF.items()}
Item = TypeVar("Item", bound=BaseModel)


def row_values(item: BaseModel) -> dict[str, Any]:
    """A rep's, hold's or fault's fields as its row's column values."""
    return {_COLUMN_OF.get(name, name): value for name, value in item.model_dump().items()}


def from_row(kind: type[Item], row: Base) -> Item:
    """A rep, hold or fault read back from its row, each field from its column. Not checked
    again: the history wrote it from a checked result."""
    return kind.model_construct(
        **{name: getattr(row, _COLUMN_OF.get(name, name)) for name in kind.model_fields}
    )


def in_column_order(item: BaseModel, table: type[Base]) -> dict[str, Any]:
    """A stored rep's, hold's or fault's fields in its table's column order (the order the
    history's JSON export lists them in)."""
    values = item.model_dump()
    columns = (_FIELD_OF.get(c.name, c.name) for c in table.__table__.columns)
    return {name: values[name] for name in columns if name in values}


def session_row(
    patient_id: int, result: Mapping[str, Any] | AnalysisResult, context: SessionContext
) -> SessionRow:
    """The session row with its reps, holds and faults, ready to add in one transaction.

    Raises:
        HistoryError: the result does not match its schema, the source is unknown or the end
            comes before the start.
    """
    model = parse_result(result)
    if context.source not in SOURCES:
        raise HistoryError(f"source must be one of {', '.join(SOURCES)}, not {context.source!r}")
    if context.ended_at < context.started_at:
        raise HistoryError(
            f"a session cannot end ({context.ended_at}) before it starts ({context.started_at})"
        )
    rom = model.range_of_motion
    return SessionRow(
        patient_id=patient_id,
        **_context_columns(context),
        exercise=model.exercise,
        clip=model.source or None,
        duration_s=model.duration_s,
        view=model.view,
        side=model.side,
        frames=model.frames,
        frames_with_pose=model.frames_with_pose,
        reps_good=model.reps.good,
        reps_faulty=model.reps.faulty,
        cannot_judge_share=round(1.0 - model.assessable_fraction, 3),
        stopped_for_pain=model.stopped_for_pain,
        rom_signal=rom.signal if rom else None,
        rom_better=rom.better if rom else None,
        rules_not_checked=dict(model.rules_not_checked),
        not_counted=[n.model_dump() for n in model.reps.not_counted],
        reps=[RepRow(**row_values(r)) for r in model.reps.events],
        holds=[
            HoldRow(**row_values(h), counted=counted)
            for holds, counted in ((model.holds, True), (model.short_holds, False))
            for h in holds
        ],
        faults=[FaultRow(**row_values(f)) for f in model.faults],
    )


def _context_columns(context: SessionContext) -> dict[str, Any]:
    """The context's fields as the session's columns of the same names."""
    columns = {f.name: getattr(context, f.name) for f in fields(context)}
    path = columns.pop("recording_path")
    columns["recording_path"] = str(path.resolve()) if path else None
    if context.clip_identity is None:
        # Only a batch clip names the column; other rows leave it to the server's default.
        del columns["clip_identity"]
    return columns
