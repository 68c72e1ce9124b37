"""The analysis result as JSON: the shape reports, the app and tests read.

Its JSON Schema is ``formcheck/schemas/result.schema.json``; a test validates real output
against it.
"""

from __future__ import annotations

import json
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


def to_dict(result: SessionResult, run: RunInfo, stopped_for_pain: bool = False) -> dict[str, Any]:
    """The result as plain JSON-able data."""
    good = sum(1 for r in result.reps if r.good)
    processing_fps = result.frames / run.processing_s if run.processing_s > 0 else 0.0
    return {
        "schema_version": SCHEMA_VERSION,
        "exercise": result.exercise,
        "source": run.source,
        "duration_s": _r(run.duration_s),
        "frames": result.frames,
        "frames_with_pose": result.frames_with_pose,
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
                }
                for r in result.reps
            ],
        },
        "holds": [
            {
                "start_s": _r(h.start_s),
                "end_s": _r(h.end_s),
                "duration_s": _r(h.duration_s),
                "side": h.side,
            }
            for h in result.holds
        ],
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
