"""The exercise engine: one spec, frame after frame, to reps, holds, faults and a state per frame.

:class:`ExerciseSession` takes each frame through the engine's rooms in turn:

- perceive (:mod:`~formcheck.engine.perception`): the view, the working side, the spec's signals
  measured and smoothed, whether the person is in view;
- gate (:mod:`~formcheck.engine.readiness`): nothing is judged until the start is shown;
- count (:mod:`~formcheck.engine.rep_tally`, each rep gathered by
  :mod:`~formcheck.engine.rep_in_progress`) or place in the hold's posture
  (:mod:`~formcheck.engine.hold_clock`);
- judge the form rules (:mod:`~formcheck.engine.judging`; the rules the view or an unmeasured
  signal leaves unjudged, :mod:`~formcheck.engine.unchecked`);
- time the hold, which needs the verdicts (a failing error stops the clock);

and returns a :class:`FrameState` for the cues, the overlay and the UI. ``finish`` closes what is
under way and returns the :class:`SessionResult`. Everything is driven by the frames' own
timestamps, so dropped frames or a variable frame rate change nothing but the sampling.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from formcheck.engine.hold_clock import NOT_HOLDING, HoldClock, Placed
from formcheck.engine.holds import Hold
from formcheck.engine.judging import RuleJudge, Verdicts, stops_hold_clock
from formcheck.engine.perception import Perceived, Perception
from formcheck.engine.readiness import ReadinessGate
from formcheck.engine.rep_in_progress import RepEvent
from formcheck.engine.rep_tally import NotCounted, RepTally
from formcheck.engine.rules import Fault
from formcheck.engine.unchecked import Unchecked, UncheckedRules
from formcheck.landmarks import PoseFrame
from formcheck.specs.schema import (
    TOO_FAST,
    ExerciseSpec,
    NotJudgedReason,
    Phase,
    SeenView,
    SideChoice,
    WorkingSide,
)

# The engine's public names, importable from here whichever room defines them.
__all__ = [
    "ExerciseSession",
    "FrameState",
    "NotCounted",
    "RepEvent",
    "SessionResult",
    "stops_hold_clock",
]


@dataclass
class FrameState:
    """What the engine knows after one frame; the UI and the overlay draw from this."""

    t_s: float
    assessable: bool
    reason: NotJudgedReason | None  # why not assessable
    view: SeenView
    side: WorkingSide
    ready: bool
    phase: Phase | None
    signals: dict[str, float]
    rep_count: int
    good_reps: int
    faulty_reps: int
    hold_s: float
    in_position: bool
    active_faults: list[str]
    # Rules due now (in their phase) that this camera view cannot judge: the person is told.
    unchecked_rules: list[str] = field(default_factory=list)
    # Rules due now whose signal has not been measurable for UNMEASURED_HINT_S (the back's
    # outline not traced): the person is told too, since a pass would be silent otherwise.
    unmeasured_rules: list[str] = field(default_factory=list)
    # Why the hold clock is not running while the person is in the stretch's posture: a rule
    # that stops it (its id), or "below_target" when a clinician's minimum depth is not reached.
    hold_waiting: str | None = None
    new_reps: list[RepEvent] = field(default_factory=list)
    new_holds: list[Hold] = field(default_factory=list)
    new_faults: list[Fault] = field(default_factory=list)


@dataclass
class SessionResult:
    """Everything a finished set or clip produced: reps, holds, faults and what was not judged."""

    exercise: str
    reps: list[RepEvent]
    holds: list[Hold]
    faults: list[Fault]
    frames: int
    frames_with_pose: int
    assessable_frames: int
    view: SeenView
    side: WorkingSide
    # Stays in position shorter than the spec's min_hold_s (pulsed stretches, early let-go).
    short_holds: list[Hold] = field(default_factory=list)
    rom_signal: str | None = None
    rom_better: str | None = None
    rom_same_within: float = 0.0
    # Per rule judged in fewer views than the exercise: the share of the frames it was due (in
    # its phases, assessable) that the camera view left unjudged. Only rules with a share > 0.
    rules_unchecked: dict[str, float] = field(default_factory=dict)
    # Movements through the rep bands that the spec's cross-check rejected.
    not_counted: list[NotCounted] = field(default_factory=list)


@dataclass
class _FrameCounts:
    """Frames seen, with a person and judged; the views and sides judged (the result's)."""

    frames: int = 0
    with_pose: int = 0
    judged: int = 0
    last_t: float = math.nan
    last_side: WorkingSide = "none"  # the side of the last judged frame
    views: Counter[SeenView] = field(default_factory=Counter)
    sides: Counter[WorkingSide] = field(default_factory=Counter)

    def seen(self, t_s: float, has_pose: bool) -> None:
        self.frames += 1
        self.last_t = t_s
        if has_pose:
            self.with_pose += 1

    def judge(self, view: SeenView, side: WorkingSide) -> None:
        self.judged += 1
        self.last_side = side
        self.views[view] += 1
        self.sides[side] += 1

    def view(self) -> SeenView:
        return self.views.most_common(1)[0][0] if self.views else "unknown"

    def side(self) -> WorkingSide:
        return self.sides.most_common(1)[0][0] if self.sides else "none"


@dataclass(frozen=True)
class _Moved:
    """Where one frame leaves the person: the phase (a rep phase, ``hold`` or None), whether in
    the hold's posture, and the rep it completed."""

    phase: Phase | None
    placed: Placed
    rep: RepEvent | None


class ExerciseSession:
    """Runs one exercise spec over a stream of frames.

    Args:
        spec: The exercise.
        side: ``"auto"`` (near side, or the spec's side detector) or a fixed ``"left"``/``"right"``.
    """

    def __init__(self, spec: ExerciseSpec, side: SideChoice = "auto") -> None:
        self.spec = spec
        self._perception = Perception(spec, side)
        self._readiness = ReadinessGate(spec.ready)
        self._reps = RepTally(spec) if spec.reps else None
        self._hold = HoldClock(spec.hold, spec.rom) if spec.hold else None
        self._judge = RuleJudge(spec.rules)
        self._unchecked = UncheckedRules(spec.rules)
        self._counts = _FrameCounts()

    def update(self, t_s: float, frame: PoseFrame | None) -> FrameState:
        """Feed one frame (``None`` when no person was found) at time ``t_s``."""
        seen = self._perceive(t_s, frame)
        reason = self._gate(t_s, frame is not None, seen)
        judged = reason is None
        moved = self._move(t_s, seen, judged)
        unchecked = Unchecked()
        if judged:
            unchecked = self._unchecked.update(t_s, moved.phase, seen.view, seen.signals)
        verdicts = self._judge_rules(t_s, judged, moved.phase, seen)
        hold = self._time_hold(t_s, moved.placed, seen, verdicts)
        events = self._reps.events if self._reps else []
        return FrameState(
            t_s=t_s,
            assessable=judged,
            reason=reason,
            view=seen.view,
            side=seen.side,
            ready=self._readiness.ready,
            phase=moved.phase,
            signals=seen.signals,
            rep_count=len(events),
            good_reps=sum(1 for r in events if r.good),
            faulty_reps=sum(1 for r in events if not r.good),
            hold_s=self._hold.current_s if self._hold else 0.0,
            in_position=moved.placed.in_position,
            hold_waiting=self._hold_waiting(moved.phase),
            active_faults=self._active_faults(t_s),
            unchecked_rules=unchecked.by_view,
            unmeasured_rules=unchecked.unmeasured,
            new_reps=[moved.rep] if moved.rep else [],
            new_holds=[hold] if hold else [],
            new_faults=verdicts.ended,
        )

    def _perceive(self, t_s: float, frame: PoseFrame | None) -> Perceived:
        self._counts.seen(t_s, frame is not None)
        seen = self._perception.update(t_s, frame)
        if seen.jumped and self._reps:
            self._reps.jumped(t_s)
        return seen

    def _gate(self, t_s: float, has_pose: bool, seen: Perceived) -> NotJudgedReason | None:
        """Why this frame cannot be judged: perception's reason, or ``not_ready`` until the
        person has shown the start position (shown again after being lost for a while)."""
        gate = self._readiness.update(t_s, has_pose, seen.reason, seen.signals)
        if gate.lost:
            if self._hold:
                self._hold.lose()
            if self._reps:
                self._reps.lose()
        if gate.awaited and self._hold:
            self._hold.await_readiness(t_s, seen.signals)
        if gate.opened:
            if self._hold:
                self._hold.ready(t_s, gate.start_since_s)
            if self._reps:
                self._reps.begin(t_s, seen.signals, gate.in_end)
        return gate.reason

    def _move(self, t_s: float, seen: Perceived, judged: bool) -> _Moved:
        """Count the reps and place the person in the hold's posture."""
        phase: Phase | None = None
        rep = None
        if judged:
            self._counts.judge(seen.view, seen.side)
            if self._reps:
                rep = self._reps.count(t_s, seen.signals, seen.view, seen.side)
                phase = self._reps.phase
        placed = NOT_HOLDING
        if self._hold:
            placed = self._hold.place(t_s, seen.signals, judged)
        if placed.holding:
            phase = "hold"
        if judged and self._reps and phase != "start":
            self._reps.track(t_s, seen.signals)
        return _Moved(phase, placed, rep)

    def _judge_rules(
        self, t_s: float, judged: bool, phase: Phase | None, seen: Perceived
    ) -> Verdicts:
        """Judge the form rules; the rep under way takes the faults under way."""
        position_since_s = self._hold.position_since_s if self._hold else -math.inf
        verdicts = self._judge.judge(t_s, judged, phase, seen.view, seen.signals, position_since_s)
        if self._reps:
            self._reps.note_faults(self._judge.active())
        return verdicts

    def _time_hold(
        self, t_s: float, placed: Placed, seen: Perceived, verdicts: Verdicts
    ) -> Hold | None:
        """Run the hold clock; returns the hold that ended now, if any."""
        if self._hold is None:
            return None
        for since_s in verdicts.clock_taken_back_from:
            self._hold.take_back(since_s)
        return self._hold.time(t_s, placed, seen.side, seen.signals, self._judge.clock_stopped())

    def _hold_waiting(self, phase: Phase | None) -> str | None:
        """Why the clock is not running though the person holds the stretch's posture."""
        if phase != "hold" or self._hold is None:
            return None
        return self._hold.waiting(self._judge.stopping())

    def _active_faults(self, t_s: float) -> list[str]:
        active = self._judge.active()
        if self._reps and self._reps.too_fast_cue(t_s):
            active.append(TOO_FAST)
        return active

    def finish(self) -> SessionResult:
        """Close what is under way (a rep, a hold, an open fault) and return the whole result."""
        counts = self._counts
        if self._reps is not None and self._readiness.ready:
            self._reps.finish(self._perception.last_raw, counts.last_side)
        self._judge.close(counts.last_t if not math.isnan(counts.last_t) else 0.0)
        if self._hold is not None:
            self._hold.close()
        reps, hold, rom = self._reps, self._hold, self.spec.rom
        # A rule's faults all come from one room (the rules, or the whole reps), in time order.
        faults = [*(reps.faults if reps else []), *self._judge.faults]
        return SessionResult(
            exercise=self.spec.id,
            reps=list(reps.events) if reps else [],
            holds=list(hold.holds) if hold else [],
            faults=sorted(faults, key=lambda f: (f.start_s, f.rule)),
            frames=counts.frames,
            frames_with_pose=counts.with_pose,
            assessable_frames=counts.judged,
            view=counts.view(),
            side=counts.side(),
            short_holds=list(hold.short_holds) if hold else [],
            rom_signal=rom.signal if rom else None,
            rom_better=rom.better if rom else None,
            rom_same_within=rom.same_within if rom else 0.0,
            rules_unchecked=self._unchecked.shares(),
            not_counted=list(reps.not_counted) if reps else [],
        )
