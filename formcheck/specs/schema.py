"""The exercise spec format: what a clinician-readable YAML file may say, validated by pydantic.

Every model forbids unknown keys, so a typo in a spec fails loudly with the file, the key and the
reason instead of being silently ignored. Defaults live here and only here.

Vocabulary:
- A *band* is a range of a signal (``min`` and/or ``max``, inclusive).
- A rep goes ``start`` -> ``outward`` -> ``end`` -> ``return`` -> ``start``: the signal leaves the
  start band, reaches the end band and comes back. The two bands must not touch; the gap between
  them is the hysteresis that keeps a person hovering at one threshold from counting reps.
- A hold is time spent still in the stretch's *posture* (``hold.posture``: the body's
  configuration, such as one knee down and the other foot forward) while no rule that stops the
  clock is failing (errors, and bouncing; other warnings are cues). How deep the stretch goes is
  the hold signal, measured and reported, never a condition, unless a clinician sets a minimum
  for one patient (``hold.target``, a program's ``hold_target``).
- A *guided timer* is a hold (``hold.mode: guided``) for an exercise whose point the camera cannot
  see (a deep abdominal contraction, pressure on a foam roller): the clock runs while the person is
  in the start position and keeps still, and ``hold.guided_reason`` says what cannot be checked.
- A ``steady`` rule measures oscillation: reversals of the smoothed signal of at least
  ``steady.swing`` (signal units), counted over the last ``steady.window_s`` seconds and expressed
  as a frequency in Hz (two reversals are one cycle). Its ``ok`` band is in Hz. Bouncing in a
  stretch is a few swings of several degrees a second; keeping still is ``ok: {max: 0}``.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The `X as X` imports are re-exports for formcheck/engine/session.py and formcheck/engine/holds.py,
# which take these names from here and are being refactored (#25); the rest of the package imports
# them from formcheck.types. Drop the re-exports once those two files do too.
from formcheck.types import NotJudgedReason as NotJudgedReason
from formcheck.types import Phase, RomBetter, Severity, SideMode, View
from formcheck.types import SeenView as SeenView
from formcheck.types import SideChoice as SideChoice
from formcheck.types import WorkingSide as WorkingSide

ID_RE = re.compile(r"^[a-z][a-z0-9_]*\Z")  # \Z: "$" would let a final newline through
# Fault id of a rep faster than the spec's ``reps.min_rep_s``.
TOO_FAST = "too_fast"

# Upper bounds of a prescription, in a spec or a program. The clinic sheets prescribe 1-3 sets of
# 10 reps, holds of 10-60 s repeated up to 10 times, rests of 10-30 s, once or twice a day; the
# bounds leave wide room above that while keeping a slip of the keyboard (``sets: 1000000000``)
# from planning a billion blocks.
MAX_SETS = 20
MAX_REPS = 100
MAX_HOLD_S = 600.0
MAX_REST_S = 600.0
MAX_PER_DAY = 10


def _takes_a_number(annotation: Any) -> bool:
    """Is ``annotation`` a number type (``int``, ``float``, or a union or ``Annotated`` of one)?
    ``bool`` is not: a yes/no field takes yes and no."""
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_takes_a_number(a) for a in typing.get_args(annotation))
    return False


def refuse_booleans_as_numbers(model: type[BaseModel], data: Any) -> Any:
    """Refuse ``true``/``false`` where ``model`` takes a number.

    YAML reads ``yes``, ``no``, ``on``, ``off``, ``true`` and ``false`` as booleans, and pydantic
    would take a boolean as the number 1 or 0: ``ok: {max: yes}`` became a limit of 1.0.
    """
    if not isinstance(data, dict):
        return data
    for name, info in model.model_fields.items():
        key = info.alias or name
        value = data.get(key)
        if isinstance(value, bool) and _takes_a_number(info.annotation):
            raise ValueError(
                f"'{key}' must be a number, not {str(value).lower()} (YAML reads yes, no, on, "
                "off, true and false as true or false)"
            )
    return data


class StrictModel(BaseModel):
    """A mapping read from YAML (a spec's, a program's), checked strictly and then frozen: unknown
    keys, NaN, infinity and yes/no where a number goes are all refused."""

    # NaN and infinity are refused in every number: ``max: .nan`` would make a band that nothing
    # fails, ``min_persist_s: .inf`` a rule that never fires, both silently, and a program's
    # ``hold_s: .inf`` would never end a hold and write ``Infinity`` into the JSON result.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_boolean_numbers(cls, data: Any) -> Any:
        return refuse_booleans_as_numbers(cls, data)


class Band(StrictModel):
    """An inclusive range of a signal; at least one end must be given."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_end(self) -> Band:
        if self.min is None and self.max is None:
            raise ValueError("a band needs 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"band min ({self.min}) must be below max ({self.max})")
        return self

    def contains(self, value: float) -> bool:
        """Is ``value`` inside the band (ends included)? NaN never is."""
        if value != value:  # NaN is never inside
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)

    def describe(self) -> str:
        """The band in a few characters: ``10..30``, ``>= 10`` or ``<= 30``."""
        if self.min is not None and self.max is not None:
            return f"{self.min:g}..{self.max:g}"
        if self.min is not None:
            return f">= {self.min:g}"
        return f"<= {self.max:g}"


class Camera(StrictModel):
    """Where the camera goes: the views the exercise is judged in, and a line of set-up advice."""

    views: list[View] = Field(min_length=1, description="views in which the exercise is assessed")
    setup: str = Field(min_length=10, description="one line: where to put the laptop")


class Prescription(StrictModel):
    """What the clinic sheet prescribes; shown to the patient and used by programs."""

    sets: int | None = Field(default=None, ge=1, le=MAX_SETS)
    reps: int | None = Field(default=None, ge=1, le=MAX_REPS)
    hold_s: float | None = Field(
        default=None, gt=0, le=MAX_HOLD_S, description="target hold per repetition"
    )
    hold_max_s: float | None = Field(default=None, gt=0, le=MAX_HOLD_S)
    repeats: int | None = Field(default=None, ge=1, le=MAX_SETS, description="holds per side")
    both_sides: bool = False
    per_day: int | None = Field(default=None, ge=1, le=MAX_PER_DAY)
    rest_s: float = Field(default=30.0, ge=0, le=MAX_REST_S)
    note: str = ""


class Readiness(StrictModel):
    """The gate before anything is counted."""

    landmarks: list[str] = Field(min_length=1, description="body parts that must be reliably seen")
    min_visibility: float = Field(default=0.5, gt=0, le=1)
    positions: list[dict[str, Band]] = Field(
        min_length=1,
        description="accepted start positions (signal -> band); any one, held for min_s, is enough",
    )
    end_positions: list[dict[str, Band]] = Field(
        default_factory=list,
        description="start positions that are the rep's end position (sitting on the box, set up "
        "over the bar): also accepted, and the first return to the start band then completes a "
        "rep begun there, even when the rep signal cannot be measured yet in that position",
    )
    min_s: float = Field(default=0.5, ge=0, description="time the start position must be held")


class RepConfirm(StrictModel):
    """A second signal that must agree at the rep's furthest point for the rep to count."""

    signal: str
    at_peak: Band | None = Field(
        default=None, description="the band the signal must be in where the rep signal peaks"
    )
    rise_from_start: Band | None = Field(
        default=None,
        description="the band its change from the person's own start position (median of the "
        "last seconds in the start phase) must be in where the rep signal peaks",
    )
    reason: str = Field(
        min_length=3, description="plain words for a movement that is not counted because of it"
    )

    @model_validator(mode="after")
    def _some_band(self) -> RepConfirm:
        if self.at_peak is None and self.rise_from_start is None:
            raise ValueError("a rep cross-check needs 'at_peak', 'rise_from_start' or both")
        return self


class RepPhases(StrictModel):
    """How reps are counted: a signal, its start and end bands, and the timings a rep must keep."""

    signal: str
    start: Band
    end: Band
    min_phase_s: float = Field(default=0.25, ge=0)
    min_rep_s: float | None = Field(
        default=None,
        gt=0,
        description="reps faster than this are flagged 'too_fast'; timed from the start of the "
        "movement (the signal leaving its resting level) to being back in the start band",
    )
    too_fast_message: str = Field(
        default="Slow down - take your time over each repetition.",
        min_length=3,
        description="the cue after a rushed rep",
    )
    # A minute: a slow, heavy hinge can take half of it; longer means the person stopped.
    max_rep_s: float = Field(default=60.0, gt=0, description="longer excursions are not reps")
    report: list[str] = Field(
        default_factory=list,
        description="signals whose largest value held for 0.3 s in each rep is reported with "
        "it (how much the back bent), so a clinician sees how much, not only whether a rule failed",
    )
    confirm: RepConfirm | None = Field(
        default=None,
        description="a cross-check on a second signal; a movement that fails it is listed as "
        "not counted, with its reason",
    )
    from_rest: bool = Field(
        default=False,
        description="the bands are measured from the person's own resting level (the signal's "
        "start-ward extreme while in the start band), not from zero",
    )
    rest_median_s: float | None = Field(
        default=None,
        gt=0,
        description="with 'from_rest': the resting level is the median of the signal over the "
        "last this many seconds spent in a start position ('ready.positions'), not its "
        "start-ward extreme: sitting up for a moment to place a ball between the knees is then "
        "neither the resting level nor, on lying back down, a rep",
    )
    back_share: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="with 'from_rest': a rep is also back once the signal has come this share of "
        "the way from its peak to the resting level, since people rarely come back to exactly "
        "the same place",
    )

    @model_validator(mode="after")
    def _back_share_needs_rest(self) -> RepPhases:
        if self.back_share is not None and not self.from_rest:
            raise ValueError("'back_share' is only for reps counted 'from_rest'")
        if self.rest_median_s is not None and not self.from_rest:
            raise ValueError("'rest_median_s' is only for reps counted 'from_rest'")
        return self

    @model_validator(mode="after")
    def _bands_apart(self) -> RepPhases:
        s, e = self.start, self.end
        rising = s.max is not None and e.min is not None and e.min > s.max
        falling = s.min is not None and e.max is not None and e.max < s.min
        if not (rising or falling):
            raise ValueError(
                "rep bands must be separated: either start.max < end.min (the signal rises) "
                "or start.min > end.max (the signal falls)"
            )
        return self

    @property
    def rising(self) -> bool:
        """Does the signal rise from the start band to the end band?"""
        return (
            self.start.max is not None
            and self.end.min is not None
            and self.end.min > self.start.max
        )


class HoldSpec(StrictModel):
    """How a stretch is held and timed: its posture, its depth signal and when the clock runs."""

    signal: str = Field(
        description="the stretch's depth: measured over each hold (median and best) and "
        "reported, not a condition of the clock unless 'target' is set"
    )
    posture: list[dict[str, Band]] = Field(
        min_length=1,
        description="the stretch's body configuration (signal -> band; any one alternative is "
        "enough), with bands wide enough for stiff and supple bodies: the clock runs only in it",
    )
    target: Band | None = Field(
        default=None,
        description="a depth the hold signal must reach before the clock runs; a clinician's "
        "choice for one patient (a program's 'hold_target'), so no spec sets it",
    )
    min_hold_s: float = Field(default=2.0, ge=0, description="shorter stays are not holds")
    max_break_s: float = Field(default=0.6, ge=0, description="shorter dips do not end a hold")
    # A form fault (the pelvis lifting) stops the clock but, while the stretch is still held, the
    # hold goes on once it is corrected: a patient who eases off and settles back has not
    # started a new hold. Longer than this, it is a new hold.
    max_fault_pause_s: float = Field(
        default=5.0, ge=0, description="a fault pause shorter than this does not end a hold"
    )
    settle_within: float | None = Field(
        default=None,
        gt=0,
        description="the clock runs once the person is still in the position, from the start "
        "of the first settle_s with the hold signal within this range (its own unit); None "
        "starts it on entering the band",
    )
    settle_s: float = Field(default=0.5, gt=0, description="how long still counts as settled")
    mode: Literal["position", "guided"] = Field(
        default="position",
        description="'position': the target band is the stretch itself; 'guided': a timer that "
        "only checks the start position and stillness, because the camera cannot see the point",
    )
    guided_reason: str | None = Field(
        default=None, description="for 'guided': what the camera cannot see, in plain words"
    )

    @model_validator(mode="after")
    def _guided_says_why(self) -> HoldSpec:
        if self.mode == "guided" and not (self.guided_reason and len(self.guided_reason) >= 10):
            raise ValueError("hold mode 'guided' needs a 'guided_reason' saying what is not seen")
        return self


class Steadiness(StrictModel):
    """Parameters of a ``steady`` rule (see the module docstring)."""

    window_s: float = Field(default=4.0, gt=0, description="seconds of signal looked at")
    swing: float = Field(gt=0, description="smallest reversal counted, in the signal's unit")


class RomSpec(StrictModel):
    """The range-of-motion measure reported per rep and per hold, to follow progress."""

    signal: str
    better: RomBetter = Field(description="which way is more range")
    label: str = Field(min_length=3, description="what the number is, in plain words")
    same_within: float = Field(
        default=0.0, ge=0, description="sides closer than this are reported as even"
    )


class SheetSource(StrictModel):
    """Where an exercise comes from, when the sheet gives only a title."""

    sheet: str = Field(min_length=1, description="which clinic sheet")
    title: str = Field(min_length=3, description="the title as the sheet lists it")
    mapping: str = Field(min_length=10, description="what it is mapped to, and why")


class Rule(StrictModel):
    """One form check: a signal that must keep to (or reach) its ok band in some phases and views,
    and the cue when it does not."""

    id: str
    severity: Severity = "warning"
    message: str = Field(min_length=3, description="the cue the patient hears")
    signal: str
    ok: Band = Field(description="the rule passes while the signal is inside this band")
    phases: list[Phase] = Field(min_length=1)
    views: list[View] = Field(min_length=1, description="views in which the rule can be judged")
    checks: str | None = Field(
        default=None,
        min_length=3,
        description="what the rule looks at, in the patient's words ('your back'); needed when "
        "the rule is judged in fewer views than the exercise, to say what a view leaves unchecked",
    )
    min_persist_s: float = Field(default=0.3, ge=0, description="shorter breaks are ignored")
    check: Literal["throughout", "reached", "steady"] = Field(
        default="throughout",
        description="'throughout': the signal must stay in 'ok' during the phases; 'reached': it "
        "must get into 'ok' at least once during each rep (depth, full extension); 'steady': its "
        "oscillation frequency in Hz (see 'steady') must stay in 'ok' (no bouncing, keep still)",
    )
    steady: Steadiness | None = None
    stops_clock: bool | None = Field(
        default=None,
        description="for rules judged during a hold: does a failure stop the hold clock? By "
        "default errors (the position is wrong) and steady rules (bouncing is not holding) do; "
        "other warnings are coaching cues while the clock runs",
    )
    change_from_start: Band | None = Field(
        default=None,
        description="also fail when the signal moves out of this band relative to the person's "
        "own value in the start position (median of the last seconds there, before each rep); "
        "only 'ok' is judged until a start position has been seen",
    )

    @model_validator(mode="after")
    def _change_needs_reps(self) -> Rule:
        if self.change_from_start is not None and self.check != "throughout":
            raise ValueError("'change_from_start' is only for rules with check 'throughout'")
        return self

    @model_validator(mode="after")
    def _steady_params(self) -> Rule:
        if self.check == "steady" and self.steady is None:
            raise ValueError("check 'steady' needs a 'steady' section (window_s, swing)")
        if self.check != "steady" and self.steady is not None:
            raise ValueError("'steady' is only for rules with check 'steady'")
        return self

    @field_validator("id")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"rule id {v!r} must be snake_case")
        return v


class ExerciseSpec(StrictModel):
    """One exercise as its YAML file gives it: what it is, how it is counted or timed, and what is
    checked."""

    id: str
    title: str
    kind: Literal["reps", "hold"]
    summary: str = Field(min_length=10, description="what it is for, in one or two sentences")
    how_to: list[str] = Field(min_length=1, description="the steps, in our own words")
    camera: Camera
    start_position: str = Field(min_length=5)
    sides: SideMode = "none"
    side_detector: str | None = Field(
        default=None, description="how the working side is found when sides is 'both'"
    )
    signals: list[str] = Field(min_length=1, description="every signal the spec uses")
    ready: Readiness
    reps: RepPhases | None = None
    hold: HoldSpec | None = None
    rules: list[Rule] = Field(default_factory=list)
    prescription: Prescription
    not_checked: list[str] = Field(
        default_factory=list,
        description="what the sheet asks for that the camera cannot judge, one sentence each in "
        "the patient's words (the spec's comments say why); shown before the exercise",
    )
    key_signal: str = Field(description="the angle plotted and shown in the overlay")
    rom: RomSpec | None = Field(default=None, description="range of motion to report")
    based_on: str | None = Field(
        default=None, description="id of the spec this one copies; its keys are the defaults"
    )
    source: SheetSource | None = None

    @property
    def guided(self) -> bool:
        """A guided timer: the camera checks position and stillness, not the exercise itself."""
        return self.hold is not None and self.hold.mode == "guided"

    def implicit_rules(self) -> list[Rule]:
        """Rules the engine adds by itself: ``too_fast`` when the reps have a ``min_rep_s``."""
        if self.reps is None or self.reps.min_rep_s is None:
            return []
        return [
            Rule(
                id=TOO_FAST,
                severity="warning",
                message=self.reps.too_fast_message,
                signal=self.reps.signal,
                ok=Band(min=self.reps.min_rep_s),
                phases=["start", "outward", "end", "return"],
                views=list(self.camera.views),
                check="reached",
            )
        ]

    @field_validator("id")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"exercise id {v!r} must be snake_case")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ExerciseSpec:
        if self.kind == "reps" and self.reps is None:
            raise ValueError("kind 'reps' needs a 'reps' section")
        if self.kind == "hold" and self.hold is None:
            raise ValueError("kind 'hold' needs a 'hold' section")
        positions = [*self.ready.positions, *self.ready.end_positions]
        used = {self.key_signal, *(name for pos in positions for name in pos)}
        if self.reps:
            used.add(self.reps.signal)
            if self.reps.confirm:
                used.add(self.reps.confirm.signal)
            used.update(self.reps.report)
        if self.hold:
            used.add(self.hold.signal)
            used.update(name for pos in self.hold.posture for name in pos)
        if self.rom:
            used.add(self.rom.signal)
        used.update(r.signal for r in self.rules)
        missing = sorted(used - set(self.signals))
        if missing:
            raise ValueError(f"signals used but not listed under 'signals': {', '.join(missing)}")
        ids = [r.id for r in self.rules]
        if TOO_FAST in ids:
            raise ValueError(f"rule id {TOO_FAST!r} is reserved for the tempo check (min_rep_s)")
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")
        if self.sides == "both" and self.side_detector is None:
            raise ValueError("sides 'both' needs a 'side_detector'")
        if self.reps and self.reps.from_rest and self.ready.end_positions:
            raise ValueError(
                "reps counted 'from_rest' cannot begin in an end position: no resting level "
                "has been seen yet to measure the end band from"
            )
        views = set(self.camera.views)
        partial = [r.id for r in self.rules if views - set(r.views) and not r.checks]
        if partial:
            raise ValueError(
                f"rules judged in fewer views than the exercise need 'checks': {', '.join(partial)}"
            )
        return self
