"""Programs: a patient's routine of exercises in order, and the runner that walks through it.

A program file (YAML, ``programs/<id>.yaml``) lists exercises with their sets, reps or hold time,
sides, rest between sets and per-patient settings: a fixed side, a rule's ``ok`` band loosened or
tightened for this patient, and a range-of-motion target. Missing values come from the exercise
spec's prescription.

:class:`ProgramRunner` is fed frames like :class:`~formcheck.engine.session.ExerciseSession`
(``update(t_s, pose)``) and moves through *blocks*: one block is one set (reps) or one hold, on
one side. For each set, the sides take turns (left then right), so one side rests while the other
works. A reps block ends when its reps are counted; a hold block ends when a hold at least as
long as the target has finished (the person has let go). Then the rest clock runs on the frames'
own timestamps; frames during rest are not analysed. After the last block of an exercise the next
exercise starts. Plain core code: no video, model or UI imports.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from formcheck.engine.session import ExerciseSession, FrameState, SessionResult
from formcheck.landmarks import PoseFrame
from formcheck.specs.loader import (
    SpecError,
    format_validation,
    package_data,
    read_yaml_mapping,
    scan_specs,
)
from formcheck.specs.schema import (
    MAX_HOLD_S,
    MAX_REPS,
    MAX_REST_S,
    MAX_SETS,
    Band,
    ExerciseSpec,
    StrictModel,
)
from formcheck.types import SideChoice

ProgramSides = Literal["both", "left", "right", "none"]


class ProgramItem(StrictModel):
    """One exercise of a program, with this patient's settings."""

    exercise: str = Field(description="exercise spec id")
    # The upper bounds are the spec prescription's (``specs/schema.py`` says why).
    sets: int | None = Field(
        default=None, ge=1, le=MAX_SETS, description="sets (reps) or holds per side"
    )
    reps: int | None = Field(
        default=None, ge=1, le=MAX_REPS, description="reps per set (reps exercises)"
    )
    hold_s: float | None = Field(
        default=None, gt=0, le=MAX_HOLD_S, description="target hold (hold exercises)"
    )
    sides: ProgramSides | None = Field(
        default=None, description="'both' takes turns, 'left'/'right' works one side only"
    )
    rest_s: float | None = Field(
        default=None, ge=0, le=MAX_REST_S, description="rest after each block"
    )
    rule_ok: dict[str, Band] = Field(
        default_factory=dict, description="rule id -> this patient's ok band (loosen or tighten)"
    )
    rom_target: float | None = Field(
        default=None, description="range-of-motion goal in the spec's rom unit"
    )
    hold_target: Band | None = Field(
        default=None,
        description="for this patient only: a depth of the hold signal the clock waits for "
        "(below it the person hears to ease a little further if comfortable)",
    )
    note: str = ""


class Program(StrictModel):
    """A routine of exercises with one patient's settings, as a program's YAML file gives it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=3)
    summary: str = Field(min_length=10)
    source: str = Field(default="", description="where the routine comes from")
    exercises: list[ProgramItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> Program:
        ids = [e.exercise for e in self.exercises]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"exercise listed twice: {', '.join(dupes)}")
        return self


class ProgramError(Exception):
    """An invalid program; the message names the file, the key and the reason."""


@dataclass(frozen=True)
class PlanItem:
    """One program exercise resolved against its spec: everything the runner needs."""

    spec: ExerciseSpec
    sets: int
    reps: int | None
    hold_s: float | None
    sides: tuple[SideChoice, ...]  # the sides in turn, "auto" for a one-sided/bilateral exercise
    rest_s: float
    rom_target: float | None


def _check_against_specs(
    path: Path, program: Program, specs: dict[str, ExerciseSpec], invalid: Collection[str]
) -> None:
    for i, item in enumerate(program.exercises):
        where = f"{path.name}: exercises.{i}"
        spec = specs.get(item.exercise)
        if spec is None and item.exercise in invalid:
            raise ProgramError(
                f"{where}.exercise: the spec {item.exercise!r} is itself invalid "
                f"({item.exercise}.yaml), so this program cannot be used until it is fixed"
            )
        if spec is None:
            raise ProgramError(
                f"{where}.exercise: unknown exercise {item.exercise!r}; "
                f"known: {', '.join(sorted(specs)) or 'none'}"
            )
        if item.reps is not None and spec.kind != "reps":
            raise ProgramError(f"{where}.reps: {spec.id} is a hold; give hold_s, not reps")
        if item.hold_s is not None and spec.kind != "hold":
            raise ProgramError(f"{where}.hold_s: {spec.id} counts reps; give reps, not hold_s")
        rules = {r.id: r for r in spec.rules}
        for rule_id in item.rule_ok:
            if rule_id not in rules:
                raise ProgramError(
                    f"{where}.rule_ok.{rule_id}: {spec.id} has no such rule; "
                    f"its rules: {', '.join(sorted(rules)) or 'none'}"
                )
        if item.hold_target is not None and (spec.hold is None or spec.guided):
            raise ProgramError(f"{where}.hold_target: {spec.id} is not a stretch held to a depth")
        if item.rom_target is not None and spec.rom is None:
            raise ProgramError(f"{where}.rom_target: {spec.id} reports no range of motion")
        if item.sides in ("left", "right", "both") and spec.sides == "none":
            raise ProgramError(f"{where}.sides: {spec.id} is not done one side at a time")


def load_program_file(
    path: Path,
    specs: dict[str, ExerciseSpec] | None = None,
    invalid_specs: Collection[str] = (),
) -> Program:
    """Read and validate a program, also against the exercise specs it names.

    ``specs`` are the valid specs (default: those of :func:`~formcheck.specs.loader.specs_dir`)
    and ``invalid_specs`` the ids of spec files that failed, so an item naming one is reported
    as such rather than as an unknown exercise; items naming valid specs are not affected.
    """
    data = read_yaml_mapping(path, "program", ProgramError)
    try:
        program = Program.model_validate(data)
    except ValidationError as exc:
        raise ProgramError(format_validation(path, exc, "program")) from None
    if path.stem != program.id:
        raise ProgramError(f"{path.name}: id: {program.id!r} must match the file name")
    if specs is None:
        try:
            scan = scan_specs()
        except SpecError as exc:
            raise ProgramError(str(exc)) from None
        specs, invalid_specs = scan.specs, set(scan.errors)
    _check_against_specs(path, program, specs, invalid_specs)
    return program


def programs_dir() -> Path:
    """The programs installed with the package (``programs/`` in a checkout links to them)."""
    return package_data("programs")


def patient_spec(spec: ExerciseSpec, item: ProgramItem) -> ExerciseSpec:
    """The spec with this patient's rule bands and minimum hold depth in place of the defaults."""
    if item.hold_target is not None and spec.hold is not None:
        hold = spec.hold.model_copy(update={"target": item.hold_target})
        spec = spec.model_copy(update={"hold": hold})
    if not item.rule_ok:
        return spec
    rules = [
        r.model_copy(update={"ok": item.rule_ok[r.id]}) if r.id in item.rule_ok else r
        for r in spec.rules
    ]
    return spec.model_copy(update={"rules": rules})


def plan(program: Program, specs: dict[str, ExerciseSpec]) -> list[PlanItem]:
    """Resolve every program item against its spec's prescription."""
    out = []
    for item in program.exercises:
        spec = patient_spec(specs[item.exercise], item)
        p = spec.prescription
        sides_mode = item.sides or ("both" if p.both_sides else "none")
        by_mode: dict[str, tuple[SideChoice, ...]] = {
            "both": ("left", "right"),
            "left": ("left",),
            "right": ("right",),
        }
        sides = by_mode.get(sides_mode, ("auto",))
        if spec.kind == "reps":
            sets = item.sets or p.sets or 1
            reps, hold_s = item.reps or p.reps or 10, None
        else:
            sets = item.sets or p.repeats or 1
            reps, hold_s = None, item.hold_s or p.hold_s or 20.0
        rest = item.rest_s if item.rest_s is not None else p.rest_s
        out.append(PlanItem(spec, sets, reps, hold_s, sides, rest, item.rom_target))
    return out


@dataclass
class BlockResult:
    """One set or hold on one side, as it went."""

    exercise: str
    set_index: int  # 1-based
    side: SideChoice
    target_reps: int | None
    target_hold_s: float | None
    result: SessionResult
    completed: bool
    started_s: float
    ended_s: float

    @property
    def reps_done(self) -> int:
        """Reps counted in the block."""
        return len(self.result.reps)

    @property
    def best_hold_s(self) -> float:
        """The block's longest hold, in seconds (0 without one)."""
        return max((h.duration_s for h in self.result.holds), default=0.0)


@dataclass
class ProgramState:
    """Where the runner is after one frame."""

    t_s: float
    exercise: str | None  # None once the program is finished
    exercise_index: int
    set_index: int  # 1-based
    sets: int
    side: str  # a SideChoice, or "none" once the program is finished
    resting: bool
    rest_left_s: float
    target_reps: int | None
    target_hold_s: float | None
    target_reached: bool  # hold under way has passed the target: time to let go
    finished: bool
    frame: FrameState | None = None  # the exercise engine's state, None while resting
    new_blocks: list[BlockResult] = field(default_factory=list)


class ProgramRunner:
    """Walks through a program frame by frame (see the module docstring)."""

    def __init__(self, program: Program, specs: dict[str, ExerciseSpec]) -> None:
        self.program = program
        self.plan = plan(program, specs)
        self.blocks: list[BlockResult] = []
        self._queue = [
            (i, s, side)
            for i, item in enumerate(self.plan)
            for s in range(1, item.sets + 1)
            for side in item.sides
        ]
        self._pos = 0
        self._session: ExerciseSession | None = None
        self._block_start_s = math.nan
        self._rest_until = -math.inf
        self._last_t = math.nan
        self._start_block()

    @property
    def finished(self) -> bool:
        """Is every block of the program done?"""
        return self._pos >= len(self._queue)

    @property
    def exercise_index(self) -> int:
        """Index in the program of the exercise under way (len(plan) when finished)."""
        return self._queue[self._pos][0] if not self.finished else len(self.plan)

    def _start_block(self) -> None:
        if self.finished:
            self._session = None
            return
        i, _, side = self._queue[self._pos]
        self._session = ExerciseSession(self.plan[i].spec, side=side)
        self._block_start_s = math.nan

    def _end_block(self, t_s: float, completed: bool) -> BlockResult:
        i, set_index, side = self._queue[self._pos]
        item = self.plan[i]
        assert self._session is not None
        block = BlockResult(
            item.spec.id,
            set_index,
            side,
            item.reps,
            item.hold_s,
            self._session.finish(),
            completed,
            self._block_start_s if not math.isnan(self._block_start_s) else t_s,
            t_s,
        )
        self.blocks.append(block)
        self._pos += 1
        self._start_block()
        return block

    def _done(self, state: FrameState, item: PlanItem) -> bool:
        if item.reps is not None:
            return state.rep_count >= item.reps
        return any(h.duration_s >= (item.hold_s or 0.0) for h in state.new_holds)

    def update(self, t_s: float, pose: PoseFrame | None) -> ProgramState:
        """Feed one frame (``None`` when no person was found) at time ``t_s``."""
        self._last_t = t_s
        new_blocks: list[BlockResult] = []
        frame_state: FrameState | None = None
        resting = t_s < self._rest_until
        if not self.finished and not resting:
            assert self._session is not None
            if math.isnan(self._block_start_s):
                self._block_start_s = t_s
            item = self.plan[self._queue[self._pos][0]]
            frame_state = self._session.update(t_s, pose)
            if self._done(frame_state, item):
                new_blocks.append(self._end_block(t_s, completed=True))
                self._rest_until = t_s + item.rest_s if not self.finished else -math.inf
                resting = t_s < self._rest_until
        return self._state(t_s, frame_state, resting, new_blocks)

    def _state(
        self, t_s: float, frame: FrameState | None, resting: bool, new_blocks: list[BlockResult]
    ) -> ProgramState:
        if self.finished:
            return ProgramState(
                t_s, None, len(self.plan), 0, 0, "none", False, 0.0, None, None, False, True,
                frame, new_blocks,
            )  # fmt: skip
        i, set_index, side = self._queue[self._pos]
        item = self.plan[i]
        reached = frame is not None and item.hold_s is not None and frame.hold_s >= item.hold_s
        return ProgramState(
            t_s,
            item.spec.id,
            i,
            set_index,
            item.sets,
            side,
            resting,
            max(0.0, self._rest_until - t_s) if resting else 0.0,
            item.reps,
            item.hold_s,
            reached,
            False,
            frame,
            new_blocks,
        )

    def skip_exercise(self) -> list[BlockResult]:
        """Close the exercise under way, its remaining blocks recorded as not completed (the
        recording of it ended, or the patient chose to move on); the next exercise starts."""
        if self.finished:
            return []
        t = self._last_t if not math.isnan(self._last_t) else 0.0
        current = self.exercise_index
        closed = []
        while not self.finished and self.exercise_index == current:
            closed.append(self._end_block(t, completed=False))
        self._rest_until = -math.inf
        return closed

    def summary(self) -> dict[str, Any]:
        """The whole program as JSON-able data: per exercise, its blocks and side comparison."""
        from formcheck.results import compare_sides, side_summary

        out = []
        for item in self.plan:
            blocks = [b for b in self.blocks if b.exercise == item.spec.id]
            rows = []
            for b in blocks:
                sides = {k: v.model_dump(mode="json") for k, v in side_summary(b.result).items()}
                rows.append(
                    {
                        "set": b.set_index,
                        "side": b.side,
                        "completed": b.completed,
                        "reps": b.reps_done if item.reps is not None else None,
                        "hold_s": round(b.best_hold_s, 2) if item.hold_s is not None else None,
                        "faults": sorted({f.rule for f in b.result.faults}),
                        "start_s": round(b.started_s, 2),
                        "end_s": round(b.ended_s, 2),
                        "sides": sides,
                    }
                )
            rom = _rom_by_side(blocks)
            merged = SessionResult(item.spec.id, [], [], [], 0, 0, 0, "unknown", "none")
            if item.spec.rom:
                merged.rom_signal = item.spec.rom.signal
                merged.rom_better = item.spec.rom.better
                merged.rom_same_within = item.spec.rom.same_within
            out.append(
                {
                    "exercise": item.spec.id,
                    "sets": item.sets,
                    "reps": item.reps,
                    "hold_s": item.hold_s,
                    "sides": list(item.sides),
                    "rest_s": item.rest_s,
                    "blocks": rows,
                    "completed": bool(blocks) and all(b.completed for b in blocks),
                    "range_of_motion": (
                        compare_sides(merged, rom).model_dump(mode="json")
                        | {"target": item.rom_target}
                        if item.spec.rom
                        else None
                    ),
                }
            )
        # Finished means done: every set of every exercise completed. A program the recordings
        # ran out on (its sets closed as not completed) is not finished, however far it got.
        done = self.finished and bool(self.blocks) and all(b.completed for b in self.blocks)
        sets_done = sum(b.completed for b in self.blocks)
        return {
            "program": self.program.id,
            "finished": done,
            "sets_done": sets_done,
            "sets_planned": len(self._queue),
            "exercises": out,
        }


def _rom_by_side(blocks: list[BlockResult]) -> dict[str, float]:
    """Median range of motion per side over all of an exercise's blocks."""
    import statistics

    values: dict[str, list[float]] = {}
    for b in blocks:
        for v in [*(r.rom for r in b.result.reps), *(h.rom for h in b.result.holds)]:
            if not math.isnan(v):
                values.setdefault(b.side, []).append(v)
    return {s: round(statistics.median(v), 2) for s, v in values.items()}


# A recording of the next exercise starts this long after the previous one ended, on the program's
# one clock (the rest a patient takes between exercises is in the recordings themselves).
RECORDING_GAP_S = 1.0

Poses = Iterable[tuple[float, PoseFrame | None]]


def run_recordings(runner: ProgramRunner, recordings: Sequence[Poses | None]) -> list[int]:
    """Feed ``runner`` one recording per exercise, in the program's order, on one clock.

    Within a recording the runner counts sets, switches sides and times rests as it would live;
    once that exercise is done the rest of its recording is not read. Whatever of the exercise is
    left when its recording ends is skipped (reported as not finished), and ``None`` in place of
    a recording skips its exercise. Returns the indexes of the recordings in which nobody was found.
    """
    offset = 0.0
    nobody: list[int] = []
    for index, frames in enumerate(recordings):
        if frames is None:
            runner.skip_exercise()
            continue
        end = offset
        someone = False
        for t_s, pose in frames:
            if runner.exercise_index != index:
                someone = True  # the exercise was done, so somebody did it
                break
            someone = someone or pose is not None
            end = offset + t_s
            runner.update(end, pose)
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # a generator stops here: its video and its pose model are released now
        if not someone:
            nobody.append(index)
        if runner.exercise_index == index:
            runner.skip_exercise()
        offset = end + RECORDING_GAP_S
    return nobody
