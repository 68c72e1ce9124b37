"""The analysis result as JSON: the shape reports, the app and tests read.

The engine's ``SessionResult`` becomes the result model (:mod:`formcheck.result_model`) here;
its JSON Schema, ``formcheck/schemas/result.schema.json``, is generated from that model. The
text is strict JSON: a value that could not be measured is ``null`` (the fields the schema lets
be null), and :func:`json_text` refuses any other NaN or infinity rather than
writing ``NaN``/``Infinity``, which strict JSON readers reject.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from formcheck.engine.session import SessionResult
from formcheck.result_model import (
    SCHEMA_VERSION,
    AnalysisResult,
    Fault,
    Hold,
    NotCounted,
    Processing,
    RangeOfMotion,
    Rep,
    Reps,
    SideSummary,
)
from formcheck.specs.schema import WorkingSide


@dataclass(frozen=True)
class RunInfo:
    """Where a result came from and how it was run (source, length, frame rate, side, model)."""

    source: str
    duration_s: float
    processing_s: float
    model: str


class NonFiniteNumberError(ValueError):
    """Data holds NaN or infinity where JSON needs a number; the message names the key."""


def _non_finite(data: Any, where: str) -> tuple[str, float] | None:
    """The first NaN or infinite number in ``data`` (dicts and lists walked), with its key path."""
    if isinstance(data, float) and not math.isfinite(data):
        return where, data
    items: Any = ()
    if isinstance(data, dict):
        items = ((f"{where}.{k}" if where else str(k), v) for k, v in data.items())
    elif isinstance(data, list | tuple):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(data))
    for key, value in items:
        found = _non_finite(value, key)
        if found is not None:
            return found
    return None


def json_text(data: Any) -> str:
    """``data`` as strict JSON text (indented, ending in a newline).

    Raises:
        NonFiniteNumberError: ``data`` holds NaN or infinity (say a hold target of ``.inf``);
            JSON has no such number, and writing ``null`` there would read as "not set".
    """
    found = _non_finite(data, "")
    if found is not None:
        where, value = found
        raise NonFiniteNumberError(
            f"the result's {where or 'value'} is {value}, which JSON cannot hold; nothing written"
        )
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def side_summary(result: SessionResult) -> dict[WorkingSide, SideSummary]:
    """Per working side: reps, holds, time held and range of motion (median and best of the
    per-rep / per-hold values), for the sides that were worked."""
    better_high = result.rom_better != "lower"
    out: dict[WorkingSide, SideSummary] = {}
    sides = sorted({r.side for r in result.reps} | {h.side for h in result.holds})
    for side in sides:
        reps = [r for r in result.reps if r.side == side]
        holds = [h for h in result.holds if h.side == side]
        roms = [v for v in [*(r.rom for r in reps), *(h.rom for h in holds)] if not math.isnan(v)]
        out[side] = SideSummary(
            reps=len(reps),
            holds=len(holds),
            hold_s=sum(h.duration_s for h in holds),
            rom_median=statistics.median(roms) if roms else None,
            rom_best=(max(roms) if better_high else min(roms)) if roms else None,
        )
    return out


def compare_sides(result: SessionResult, rom_median: Mapping[str, float | None]) -> RangeOfMotion:
    """Which side is tighter: the one whose median range of motion (``rom_median``, per side) is
    worse, when both sides have one and they differ by more than the spec's ``same_within``."""
    left = rom_median.get("left")
    right = rom_median.get("right")
    tighter: str | None = None
    difference: float | None = None
    if left is not None and right is not None:
        difference = round(abs(left - right), 2)
        if difference > result.rom_same_within:
            left_worse = left < right if result.rom_better != "lower" else left > right
            tighter = "left" if left_worse else "right"
        else:
            tighter = "even"
    return RangeOfMotion.model_validate(
        {
            "signal": result.rom_signal,
            "better": result.rom_better,
            "tighter_side": tighter,
            "difference": difference,
        }
    )


def from_session(
    result: SessionResult, run: RunInfo, stopped_for_pain: bool = False
) -> AnalysisResult:
    """The engine's result as the result model. Reps, holds, faults and movements not counted
    are read field by field by name (a field the engine and the model share needs no code)."""
    good = sum(1 for r in result.reps if r.good)
    sides = side_summary(result)
    rom_median: dict[str, float | None] = {side: s.rom_median for side, s in sides.items()}
    processing_fps = result.frames / run.processing_s if run.processing_s > 0 else 0.0
    return AnalysisResult(
        schema_version=SCHEMA_VERSION,
        exercise=result.exercise,
        source=run.source,
        duration_s=run.duration_s,
        frames=result.frames,
        frames_with_pose=result.frames_with_pose,
        person_found=result.frames_with_pose > 0,
        view=result.view,
        side=result.side,
        reps=Reps(
            count=len(result.reps),
            good=good,
            faulty=len(result.reps) - good,
            events=[Rep.model_validate(r, from_attributes=True) for r in result.reps],
            not_counted=[
                NotCounted.model_validate(n, from_attributes=True) for n in result.not_counted
            ],
        ),
        holds=[Hold.model_validate(h, from_attributes=True) for h in result.holds],
        short_holds=[Hold.model_validate(h, from_attributes=True) for h in result.short_holds],
        sides=sides,
        range_of_motion=compare_sides(result, rom_median) if result.rom_signal else None,
        faults=[Fault.model_validate(f, from_attributes=True) for f in result.faults],
        rules_not_checked=dict(result.rules_unchecked),
        assessable_fraction=result.assessable_frames / result.frames if result.frames else 0.0,
        stopped_for_pain=stopped_for_pain,
        processing=Processing(fps=processing_fps, seconds=run.processing_s, model=run.model),
    )


def to_dict(result: SessionResult, run: RunInfo, stopped_for_pain: bool = False) -> dict[str, Any]:
    """The result as plain JSON-able data (:func:`from_session`, dumped)."""
    return from_session(result, run, stopped_for_pain).model_dump(mode="json")


def result_schema() -> dict[str, Any]:
    """The JSON Schema every result file follows (generated from the result model)."""
    text = resources.files("formcheck").joinpath("schemas/result.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
