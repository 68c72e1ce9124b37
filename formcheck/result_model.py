"""The analysis result as typed data: what ``formcheck analyze --json`` writes, the history
stores and reads back.

One model, used three ways: :func:`formcheck.results.from_session` builds it from the engine's
``SessionResult``; ``model_dump(mode="json")`` is the JSON (the field order here is the key order
there); the history maps its fields to table columns by name (``history/from_result.py``).
``formcheck/schemas/result.schema.json`` is generated from it::

    python -m formcheck.result_model          # rewrite the committed schema

Numbers are rounded by their type as they come in (times to the millisecond, values to two
decimals), so the same value reads the same in the JSON, the history and the report. A value that
could not be measured is ``None`` where the type allows it (NaN and infinity become ``None``);
elsewhere a NaN is kept, and :func:`formcheck.results.json_text` refuses to write it.

Fields with a default are ones older results lack: a result written before them still reads.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import CoreSchema

from formcheck.specs.schema import SeenView, Severity, WorkingSide

SCHEMA_VERSION: Literal[1] = 1
SCHEMA_PATH = Path(__file__).parent / "schemas" / "result.schema.json"
SCHEMA_ID = "https://formcheck.example/result.schema.json"

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


def _rounded(digits: int) -> Callable[[Any], Any]:
    def round_to(x: float | None) -> float | None:
        return None if x is None else round(float(x), digits)

    return round_to


def _finite_or_none(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


# Seconds from the clip's first frame, or a duration; to the millisecond. Never negative says the
# schema, which the history checks a result against; a result built from the engine takes its
# times as the input's clock gave them (a landmark file may start before 0 s), as it always has.
Seconds = Annotated[float, Field(json_schema_extra={"minimum": 0}), AfterValidator(_rounded(3))]
# A share of frames, 0..1.
Share = Annotated[float, Field(ge=0, le=1), AfterValidator(_rounded(3))]
# A signal's value, in the signal's unit.
Value = Annotated[float, AfterValidator(_rounded(2))]
# A signal's value, or None when it could not be measured.
Measured = Annotated[float | None, BeforeValidator(_finite_or_none), AfterValidator(_rounded(2))]
Count = Annotated[int, Field(ge=0)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rep(_Part):
    """One counted rep."""

    index: int = Field(ge=1)
    start_s: Seconds
    end_s: Seconds
    # The engine's RepEvent calls it peak_value.
    peak: Value = Field(
        validation_alias=AliasChoices("peak", "peak_value"),
        description="furthest value of the rep signal",
    )
    faults: list[str] = Field(description="rule ids broken during the rep")
    side: WorkingSide = Field("none", description="working side during the rep")
    rom: Measured = Field(
        None,
        description="range of motion in this rep: the furthest value of the spec's rom signal "
        "(null when the spec has none)",
    )
    tempo_s: Measured = Field(
        None,
        description="seconds from the start of the movement to back in the start position "
        "(null when the rep began before it was seen)",
    )
    measures: dict[str, Measured] = Field(
        default_factory=dict,
        description="the largest value held for 0.3 s in this rep of each signal the exercise "
        "reports (e.g. back_bend_deg: how much the back's outline bent; 0 straight, negative "
        "arched), null when it could not be measured",
    )

    @property
    def good(self) -> bool:
        """A rep without a fault."""
        return not self.faults


class NotCounted(_Part):
    """A movement through the rep's bands that the exercise's cross-check says was not a rep."""

    start_s: Seconds
    end_s: Seconds
    reason: str


class Reps(_Part):
    """The set's reps: how many, how many were good, each one, and movements not counted."""

    count: Count
    good: Count
    faulty: Count
    events: list[Rep]
    not_counted: list[NotCounted] = Field(
        default_factory=list,
        description="movements through the rep's bands that the exercise's cross-check says "
        "were not reps (e.g. hips lowered by walking away, not by bending the knees)",
    )


class Hold(_Part):
    """One stay in the position (a hold, or a short hold)."""

    start_s: Seconds
    end_s: Seconds
    duration_s: Seconds = Field(description="time in position, short breaks excluded")
    side: WorkingSide
    rom: Measured = Field(
        None,
        description="range of motion in this hold: the median of the spec's rom signal while "
        "in position",
    )
    rom_best: Measured = Field(
        None,
        description="range of motion in this hold: the best value of the spec's rom signal "
        "while in position (the highest or the lowest, as the spec's rom.better says)",
    )


class SideSummary(_Part):
    """One working side: reps, holds, time held, range of motion (median and best)."""

    reps: Count
    holds: Count
    hold_s: Seconds
    rom_median: Measured
    rom_best: Measured


class RangeOfMotion(_Part):
    """Both sides compared on the spec's rom signal."""

    signal: str
    better: Literal["higher", "lower"]
    tighter_side: Literal["left", "right", "even"] | None
    difference: Annotated[float, Field(ge=0), AfterValidator(_rounded(2))] | None


class Fault(_Part):
    """A rule broken, and when."""

    rule: str = Field(pattern=ID_PATTERN)
    severity: Severity
    start_s: Seconds
    end_s: Seconds
    message: str


class Processing(_Part):
    """How the analysis ran: its speed and the pose model it used."""

    fps: Annotated[float, Field(ge=0), AfterValidator(_rounded(1))] = Field(
        description="frames analysed per second of wall time"
    )
    seconds: Annotated[float, Field(ge=0), AfterValidator(_rounded(2))]
    model: str


class AnalysisResult(_Part):
    """What `formcheck analyze --json` writes for one clip; times are seconds from its start."""

    model_config = ConfigDict(title="formcheck analysis result")

    schema_version: Literal[1]
    exercise: str = Field(pattern=ID_PATTERN, description="exercise spec id")
    source: str = Field(description="file name of the analysed clip")
    duration_s: Seconds
    frames: Count
    frames_with_pose: Count
    person_found: bool = Field(
        default_factory=lambda data: data["frames_with_pose"] > 0,
        description="false when the pose model found nobody in any frame, so nothing in the "
        "clip could be judged (older results lack this key: frames_with_pose 0 says the same)",
    )
    view: SeenView = Field(description="camera view seen most while assessable")
    side: WorkingSide = Field(description="working side seen most while assessable")
    reps: Reps
    holds: list[Hold]
    short_holds: list[Hold] = Field(
        default_factory=list,
        description="stays in the stretch position shorter than the spec's min_hold_s (a pulsed "
        "stretch, a hold let go early)",
    )
    sides: dict[WorkingSide, SideSummary] = Field(
        default_factory=dict,
        description="per working side: counts, time held and range of motion",
    )
    range_of_motion: RangeOfMotion | None = Field(
        None,
        description="both sides compared on the spec's rom signal; null when the spec names none",
    )
    faults: list[Fault]
    rules_not_checked: dict[str, Share] = Field(
        default_factory=dict,
        description="Rules the camera view could not judge: rule id -> share of the frames the "
        "rule was due (in its phases) that went unjudged, e.g. the back in a hip hinge filmed "
        "half-turned.",
    )
    assessable_fraction: Share
    stopped_for_pain: bool
    processing: Processing


class _ResultSchema(GenerateJsonSchema):
    """Pydantic's schema with the ``$schema``/``$id`` header and without a title per field
    (the field's name says it)."""

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        body = super().generate(schema, mode)
        return {"$schema": self.schema_dialect, "$id": SCHEMA_ID, **body}

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def schema_text() -> str:
    """The result's JSON Schema as the committed file holds it."""
    schema = AnalysisResult.model_json_schema(schema_generator=_ResultSchema)
    return json.dumps(schema, indent=2) + "\n"


def main() -> int:
    """Rewrite ``formcheck/schemas/result.schema.json`` from the model."""
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
