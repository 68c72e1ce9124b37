"""The analysis result as JSON: the shape reports, the app and tests read.

Its JSON Schema is ``formcheck/schemas/result.schema.json``; a test validates real output
against it. The text is strict JSON: a value that could not be measured is ``null`` (the fields
the schema lets be null), and :func:`json_text` refuses any other NaN or infinity rather than
writing ``NaN``/``Infinity``, which strict JSON readers reject.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from importlib import resources
from typing import Any

from formcheck.engine.session import SessionResult

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RunInfo:
    source: str
    duration_s: float
    processing_s: float
    model: str


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def _rn(x: float, nd: int = 2) -> float | None:
    """Rounded, or ``None`` (JSON null) when there is no finite value."""
    return round(float(x), nd) if math.isfinite(x) else None


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


def side_summary(result: SessionResult) -> dict[str, dict[str, Any]]:
    """Per working side: reps, holds, time held and range of motion (median and best of the
    per-rep / per-hold values), for the sides that were worked."""
    better_high = result.rom_better != "lower"
    out: dict[str, dict[str, Any]] = {}
    sides = sorted({r.side for r in result.reps} | {h.side for h in result.holds})
    for side in sides:
        reps = [r for r in result.reps if r.side == side]
        holds = [h for h in result.holds if h.side == side]
        roms = [v for v in [*(r.rom for r in reps), *(h.rom for h in holds)] if not math.isnan(v)]
        best = (max(roms) if better_high else min(roms)) if roms else math.nan
        out[side] = {
            "reps": len(reps),
            "holds": len(holds),
            "hold_s": _r(sum(h.duration_s for h in holds)),
            "rom_median": _rn(statistics.median(roms)) if roms else None,
            "rom_best": _rn(best),
        }
    return out


def compare_sides(result: SessionResult, sides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Which side is tighter: the one whose median range of motion is worse, when both sides have
    one and they differ by more than the spec's ``same_within``."""
    left = sides.get("left", {}).get("rom_median")
    right = sides.get("right", {}).get("rom_median")
    tighter: str | None = None
    difference: float | None = None
    if left is not None and right is not None:
        difference = round(abs(left - right), 2)
        if difference > result.rom_same_within:
            left_worse = left < right if result.rom_better != "lower" else left > right
            tighter = "left" if left_worse else "right"
        else:
            tighter = "even"
    return {
        "signal": result.rom_signal,
        "better": result.rom_better,
        "tighter_side": tighter,
        "difference": difference,
    }


def to_dict(result: SessionResult, run: RunInfo, stopped_for_pain: bool = False) -> dict[str, Any]:
    """The result as plain JSON-able data."""
    good = sum(1 for r in result.reps if r.good)
    sides = side_summary(result)
    processing_fps = result.frames / run.processing_s if run.processing_s > 0 else 0.0
    return {
        "schema_version": SCHEMA_VERSION,
        "exercise": result.exercise,
        "source": run.source,
        "duration_s": _r(run.duration_s),
        "frames": result.frames,
        "frames_with_pose": result.frames_with_pose,
        "person_found": result.frames_with_pose > 0,
        "view": result.view,
        "side": result.side,
        "reps": {
            "count": len(result.reps),
            "good": good,
            "faulty": len(result.reps) - good,
            "events": [
                {
                    "index": r.index,
                    "start_s": _r(r.start_s),
                    "end_s": _r(r.end_s),
                    "peak": _r(r.peak_value, 2),
                    "faults": list(r.faults),
                    "side": r.side,
                    "rom": _rn(r.rom),
                    "tempo_s": _rn(r.tempo_s),
                    "measures": {name: _rn(v) for name, v in r.measures.items()},
                }
                for r in result.reps
            ],
            "not_counted": [
                {"start_s": _r(n.start_s), "end_s": _r(n.end_s), "reason": n.reason}
                for n in result.not_counted
            ],
        },
        "holds": [
            {
                "start_s": _r(h.start_s),
                "end_s": _r(h.end_s),
                "duration_s": _r(h.duration_s),
                "side": h.side,
                "rom": _rn(h.rom),
                "rom_best": _rn(h.rom_best),
            }
            for h in result.holds
        ],
        "short_holds": [
            {
                "start_s": _r(h.start_s),
                "end_s": _r(h.end_s),
                "duration_s": _r(h.duration_s),
                "side": h.side,
                "rom": _rn(h.rom),
                "rom_best": _rn(h.rom_best),
            }
            for h in result.short_holds
        ],
        "sides": sides,
        "range_of_motion": compare_sides(result, sides) if result.rom_signal else None,
        "faults": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "start_s": _r(f.start_s),
                "end_s": _r(f.end_s),
                "message": f.message,
            }
            for f in result.faults
        ],
        "rules_not_checked": {rule: _r(share) for rule, share in result.rules_unchecked.items()},
        "assessable_fraction": _r(result.assessable_frames / result.frames if result.frames else 0),
        "stopped_for_pain": stopped_for_pain,
        "processing": {
            "fps": _r(processing_fps, 1),
            "seconds": _r(run.processing_s, 2),
            "model": run.model,
        },
    }


def result_schema() -> dict[str, Any]:
    text = resources.files("formcheck").joinpath("schemas/result.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
