"""The exercise engine: one spec, frame after frame, to reps, holds, faults and an assess state.

Per frame, two rooms: perception (:mod:`formcheck.engine.perception`: the view and working side,
the spec's signals measured and smoothed, the visibility gate), then judging, here: the readiness
gate, the rep counter or hold timer, and the rules. Everything is driven by the frames' own
timestamps, so dropped frames or a variable frame rate change nothing but the sampling.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from formcheck.engine.hold_clock import HoldClock, Placed
from formcheck.engine.holds import Hold
from formcheck.engine.perception import Perception
from formcheck.engine.readiness import in_any_position
from formcheck.engine.rep_in_progress import RepEvent
from formcheck.engine.rep_tally import NotCounted, RepTally
from formcheck.engine.rules import Fault, RuleMonitor, StartBaseline, SwingCounter
from formcheck.landmarks import PoseFrame
from formcheck.specs.schema import (
    TOO_FAST,
    ExerciseSpec,
    NotJudgedReason,
    Phase,
    Rule,
    SeenView,
    SideChoice,
    WorkingSide,
)

# Without a person for this long, the start position must be shown again before counting resumes.
LOST_RESET_S = 2.0
# A rule whose signal cannot be measured for this long (not a dropped frame or two) is said to
# be unchecked, so the person knows the check is not happening.
UNMEASURED_HINT_S = 1.0
# Swings this long before settling into the position count: bouncing into a stretch is bouncing.
STEADY_LEAD_S = 1.0


def stops_hold_clock(rule: Rule) -> bool:
    """Does this rule's failure stop the hold clock? The rule's ``stops_clock`` if set; else
    errors (the position no longer stretches what it should) and steady rules (bouncing is not
    holding) do, and other warnings are coaching cues while the clock runs."""
    if "hold" not in rule.phases:
        return False
    if rule.stops_clock is not None:
        return rule.stops_clock
    return rule.severity == "error" or rule.check == "steady"


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


class ExerciseSession:
    """Runs one exercise spec over a stream of frames.

    Args:
        spec: The exercise.
        side: ``"auto"`` (near side, or the spec's side detector) or a fixed ``"left"``/``"right"``.
    """

    def __init__(self, spec: ExerciseSpec, side: SideChoice = "auto") -> None:
        self.spec = spec
        self._perception = Perception(spec, side)
        self._reps = RepTally(spec) if spec.reps else None
        self._hold = HoldClock(spec.hold, spec.rom) if spec.hold else None
        self._monitors = [RuleMonitor(r) for r in spec.rules if r.check in ("throughout", "steady")]
        # Rules judged as a change from the person's own start position (a rounded back against
        # the way they stand): the start value of each, frozen during reps.
        self._baselines = {
            r.id: StartBaseline() for r in spec.rules if r.change_from_start is not None
        }
        # Steady rules judge the oscillation frequency (Hz) of their signal, counted on every
        # assessable frame so that a bounce is seen from its first swing, but only from
        # STEADY_LEAD_S before the person last settled into the hold position: the big swings
        # of getting into it, switching legs or coming up between holds are not bouncing.
        self._swings = {
            r.id: SwingCounter(r.steady.window_s, r.steady.swing)
            for r in spec.rules
            if r.check == "steady" and r.steady is not None
        }
        self._ready = False
        self._start_since = math.nan
        self._last_pose_s = math.nan
        self._faults: list[Fault] = []
        self._frames = 0
        self._frames_with_pose = 0
        self._assessable = 0
        self._view_counts: Counter[SeenView] = Counter()
        self._rule_due: Counter[str] = Counter()
        self._rule_unchecked: Counter[str] = Counter()
        self._side_counts: Counter[WorkingSide] = Counter()
        self._last_t = math.nan
        self._last_side: WorkingSide = "none"
        self._unmeasured_since: dict[str, float] = {}  # rule -> since when it is unmeasurable

    # -- main loop -----------------------------------------------------------------------------

    def update(self, t_s: float, frame: PoseFrame | None) -> FrameState:
        """Feed one frame (``None`` when no person was found) at time ``t_s``."""
        self._frames += 1
        self._last_t = t_s
        seen = self._perception.update(t_s, frame)
        if seen.jumped and self._reps:
            self._reps.jumped(t_s)
        reason = self._readiness(t_s, frame, seen.signals, seen.reason)
        view, side, signals = seen.view, seen.side, seen.signals
        assessable = reason is None
        new_reps: list[RepEvent] = []
        new_holds: list[Hold] = []
        phase: Phase | None = None
        if assessable:
            self._count_assessable(view, side)
            phase = self._advance(t_s, signals, view, side, new_reps)
        placed = self._hold.place(t_s, signals, assessable) if self._hold else Placed(False, False)
        if placed.holding:
            phase = "hold"
        if assessable and self._reps is not None and phase != "start":
            self._reps.track(t_s, signals)
        in_position = placed.in_position
        unchecked = self._count_unchecked(t_s, phase, view, signals) if assessable else []
        unmeasured = self._unmeasured_now(t_s) if assessable else []
        new_faults = self._judge_rules(t_s, assessable, phase, view, signals)
        finished = self._time_hold(t_s, placed, side, signals)
        if finished:
            new_holds.append(finished)
        self._faults.extend(new_faults)
        events = self._reps.events if self._reps else []
        return FrameState(
            t_s=t_s,
            assessable=assessable,
            reason=reason,
            view=view,
            side=side,
            ready=self._ready,
            phase=phase,
            signals=signals,
            rep_count=len(events),
            good_reps=sum(1 for r in events if r.good),
            faulty_reps=sum(1 for r in events if not r.good),
            hold_s=self._hold.current_s if self._hold else 0.0,
            in_position=in_position,
            hold_waiting=self._hold_waiting(phase),
            active_faults=self._active_faults(t_s),
            unchecked_rules=unchecked,
            unmeasured_rules=unmeasured,
            new_reps=new_reps,
            new_holds=new_holds,
            new_faults=new_faults,
        )

    def _readiness(
        self,
        t_s: float,
        frame: PoseFrame | None,
        signals: dict[str, float],
        reason: NotJudgedReason | None,
    ) -> NotJudgedReason | None:
        """Why this frame cannot be judged: perception's reason, or ``not_ready`` until the
        person has shown the start position (shown again after being lost for a while)."""
        if frame is None:
            if not math.isnan(self._last_pose_s) and t_s - self._last_pose_s > LOST_RESET_S:
                self._lose_readiness()
            return reason
        self._frames_with_pose += 1
        self._last_pose_s = t_s
        if reason is None:
            self._check_ready(t_s, signals)
            if not self._ready:
                return "not_ready"
        return reason

    def _count_assessable(self, view: SeenView, side: WorkingSide) -> None:
        self._assessable += 1
        self._last_side = side
        self._view_counts[view] += 1
        self._side_counts[side] += 1

    def _unmeasured_now(self, t_s: float) -> list[str]:
        """Rules whose signal has not been measurable for ``UNMEASURED_HINT_S``."""
        return [
            r for r, since in self._unmeasured_since.items() if t_s - since >= UNMEASURED_HINT_S
        ]

    def _judge_rules(
        self,
        t_s: float,
        assessable: bool,
        phase: Phase | None,
        view: SeenView,
        signals: dict[str, float],
    ) -> list[Fault]:
        """Feed every rule; returns the faults that ended now. Rules see every frame, so that a
        fault closes when assessment stops."""
        new_faults = []
        position_since_s = self._hold.position_since_s if self._hold else -math.inf
        for monitor in self._monitors:
            applicable = assessable and phase in monitor.rule.phases and view in monitor.rule.views
            value = signals.get(monitor.rule.signal, math.nan)
            swings = self._swings.get(monitor.rule.id)
            if swings is not None:
                value = swings.update(
                    t_s, value if assessable else math.nan, position_since_s - STEADY_LEAD_S
                )
            baseline = math.nan
            tracker = self._baselines.get(monitor.rule.id)
            if tracker is not None:
                baseline = tracker.update(t_s, value, assessable and phase == "start")
            was_active = monitor.active
            fault = monitor.update(t_s, value, applicable, baseline)
            if fault:
                new_faults.append(fault)
            if (
                self._hold is not None
                and monitor.active
                and not was_active
                and stops_hold_clock(monitor.rule)
            ):
                # Confirmed only now, min_persist_s after it began: the clock ran on meanwhile.
                self._hold.take_back(monitor.active_since_s)
        if self._reps:
            self._reps.note_faults(m.rule.id for m in self._monitors if m.active)
        return new_faults

    def _time_hold(
        self, t_s: float, placed: Placed, side: WorkingSide, signals: dict[str, float]
    ) -> Hold | None:
        """Run the hold clock; returns the hold that ended now, if any."""
        if self._hold is None:
            return None
        stopped = any(m.active and m.failing for m in self._monitors if stops_hold_clock(m.rule))
        return self._hold.time(t_s, placed, side, signals, stopped)

    def _hold_waiting(self, phase: Phase | None) -> str | None:
        """Why the clock is not running though the person holds the stretch's posture."""
        if phase != "hold" or self._hold is None:
            return None
        return self._hold.waiting(
            [m.rule.id for m in self._monitors if m.active and stops_hold_clock(m.rule)]
        )

    def _active_faults(self, t_s: float) -> list[str]:
        active = [m.rule.id for m in self._monitors if m.active]
        if self._reps and self._reps.too_fast_cue(t_s):
            active.append(TOO_FAST)
        return active

    def _count_unchecked(
        self, t_s: float, phase: Phase | None, view: SeenView, signals: dict[str, float]
    ) -> list[str]:
        """Rules due in this phase that cannot be judged now, counted for the result: the view
        cannot judge them, or their signal could not be measured (the back's outline not
        traced). Returns those the view cannot judge: the person can fix that by turning."""
        by_view = []
        for rule in self.spec.rules:
            unmeasured = False
            if phase in rule.phases:
                self._rule_due[rule.id] += 1
                if view not in rule.views:
                    self._rule_unchecked[rule.id] += 1
                    by_view.append(rule.id)
                elif math.isnan(signals.get(rule.signal, math.nan)):
                    self._rule_unchecked[rule.id] += 1
                    unmeasured = True
            if not unmeasured:
                self._unmeasured_since.pop(rule.id, None)
            else:
                self._unmeasured_since.setdefault(rule.id, t_s)
        return by_view

    def _lose_readiness(self) -> None:
        self._ready = False
        self._start_since = math.nan
        if self._hold:
            self._hold.lose()
        if self._reps:
            self._reps.lose()

    def _check_ready(self, t_s: float, signals: dict[str, float]) -> None:
        if self._ready:
            return
        if self._hold:
            self._hold.await_readiness(t_s, signals)
        in_end = in_any_position(self.spec.ready.end_positions, signals)
        if not (in_end or in_any_position(self.spec.ready.positions, signals)):
            self._start_since = math.nan
            return
        if math.isnan(self._start_since):
            self._start_since = t_s
        if t_s - self._start_since >= self.spec.ready.min_s:
            self._ready = True
            if self._hold:
                self._hold.ready(t_s, self._start_since)
            if self._reps:
                self._reps.begin(t_s, signals, in_end)

    def _advance(
        self,
        t_s: float,
        signals: dict[str, float],
        view: SeenView,
        side: WorkingSide,
        new_reps: list[RepEvent],
    ) -> Phase | None:
        if self._reps is None:
            return None
        event = self._reps.count(t_s, signals, view, side)
        if event is not None:
            new_reps.append(event)
        return self._reps.phase

    def finish(self) -> SessionResult:
        """Close what is under way (a hold, an open fault) and return the whole result."""
        t = self._last_t if not math.isnan(self._last_t) else 0.0
        if self._reps is not None and self._ready:
            self._reps.finish(self._perception.last_raw, self._last_side)
        for monitor in self._monitors:
            fault = monitor.close(t)
            if fault:
                self._faults.append(fault)
        if self._hold is not None:
            self._hold.close()
        rep_faults = self._reps.faults if self._reps else []
        view: SeenView = self._view_counts.most_common(1)[0][0] if self._view_counts else "unknown"
        side: WorkingSide = self._side_counts.most_common(1)[0][0] if self._side_counts else "none"
        return SessionResult(
            exercise=self.spec.id,
            reps=list(self._reps.events) if self._reps else [],
            holds=list(self._hold.holds) if self._hold else [],
            # A rule's faults come from one place (the rules, or the whole reps), in time order.
            faults=sorted([*rep_faults, *self._faults], key=lambda f: (f.start_s, f.rule)),
            frames=self._frames,
            frames_with_pose=self._frames_with_pose,
            assessable_frames=self._assessable,
            view=view,
            side=side,
            short_holds=list(self._hold.short_holds) if self._hold else [],
            rom_signal=self.spec.rom.signal if self.spec.rom else None,
            rom_better=self.spec.rom.better if self.spec.rom else None,
            rom_same_within=self.spec.rom.same_within if self.spec.rom else 0.0,
            rules_unchecked={
                rule: n / self._rule_due[rule] for rule, n in self._rule_unchecked.items()
            },
            not_counted=list(self._reps.not_counted) if self._reps else [],
        )
