"""Judging: every form rule's verdict on every frame, and which of them stop the hold clock.

:class:`RuleJudge` feeds each ``throughout`` and ``steady`` rule
(:class:`~formcheck.engine.rules.RuleMonitor`) its signal, or for a steady rule the signal's
oscillation (:class:`~formcheck.engine.rules.SwingCounter`), and for a rule judged as a change
from the start position the person's own start value
(:class:`~formcheck.engine.rules.StartBaseline`). Rules see every frame, judged or not, so that a
fault closes when judging stops. ``reached`` rules are judged once per rep
(:mod:`formcheck.engine.rep_in_progress`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from formcheck.engine.rules import Fault, RuleMonitor, StartBaseline, SwingCounter
from formcheck.specs.schema import Phase, Rule, SeenView

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


@dataclass(frozen=True)
class Verdicts:
    """What one frame's judging changed."""

    ended: list[Fault]  # faults that ended on this frame
    # For each fault that stops the hold clock and was confirmed on this frame: when it began
    # failing (min_persist_s ago: the clock ran on meanwhile and must give that time back).
    clock_taken_back_from: list[float]


class RuleJudge:
    """Judges the ``throughout`` and ``steady`` rules of one exercise, frame after frame.

    Args:
        rules: The spec's rules (``reached`` ones are left to the rep in progress).
    """

    def __init__(self, rules: list[Rule]) -> None:
        self._monitors = [RuleMonitor(r) for r in rules if r.check in ("throughout", "steady")]
        # Rules judged as a change from the person's own start position (a rounded back against
        # the way they stand): the start value of each, frozen during reps.
        self._baselines = {r.id: StartBaseline() for r in rules if r.change_from_start is not None}
        # Steady rules judge the oscillation frequency (Hz) of their signal, counted on every
        # judged frame so that a bounce is seen from its first swing, but only from
        # STEADY_LEAD_S before the person last settled into the hold position: the big swings
        # of getting into it, switching legs or coming up between holds are not bouncing.
        self._swings = {
            r.id: SwingCounter(r.steady.window_s, r.steady.swing)
            for r in rules
            if r.check == "steady" and r.steady is not None
        }
        self.faults: list[Fault] = []  # every fault ended so far

    def judge(
        self,
        t_s: float,
        judged: bool,
        phase: Phase | None,
        view: SeenView,
        signals: Mapping[str, float],
        position_since_s: float,
    ) -> Verdicts:
        """Feed every rule one frame.

        Args:
            t_s: The frame's time.
            judged: The frame passed the gates (a person in view, ready).
            phase: The rep phase, or ``hold``, or None.
            view: The camera's view of the body.
            signals: The smoothed signals.
            position_since_s: When the hold position was last taken after an absence.
        """
        ended, taken_back = [], []
        for monitor in self._monitors:
            rule = monitor.rule
            applicable = judged and phase in rule.phases and view in rule.views
            value = signals.get(rule.signal, math.nan)
            swings = self._swings.get(rule.id)
            if swings is not None:
                lead_s = position_since_s - STEADY_LEAD_S
                value = swings.update(t_s, value if judged else math.nan, lead_s)
            baseline = math.nan
            tracker = self._baselines.get(rule.id)
            if tracker is not None:
                baseline = tracker.update(t_s, value, judged and phase == "start")
            was_active = monitor.active
            fault = monitor.update(t_s, value, applicable, baseline)
            if fault:
                ended.append(fault)
            if monitor.active and not was_active and stops_hold_clock(rule):
                taken_back.append(monitor.active_since_s)
        self.faults.extend(ended)
        return Verdicts(ended, taken_back)

    def active(self) -> list[str]:
        """The rules with a confirmed fault under way."""
        return [m.rule.id for m in self._monitors if m.active]

    def stopping(self) -> list[str]:
        """The rules with a confirmed fault under way that stops the hold clock."""
        return [m.rule.id for m in self._monitors if m.active and stops_hold_clock(m.rule)]

    def clock_stopped(self) -> bool:
        """Is a confirmed fault that stops the hold clock failing now?"""
        return any(m.active and m.failing for m in self._monitors if stops_hold_clock(m.rule))

    def close(self, t_s: float) -> None:
        """End of the session: the faults under way end now."""
        for monitor in self._monitors:
            fault = monitor.close(t_s)
            if fault:
                self.faults.append(fault)
