"""Form rules: a fault is raised only when a rule keeps failing for ``min_persist_s`` seconds.

Each rule is judged only in the phases and camera views its spec names; elsewhere it is "not
assessed", neither passing nor failing. A fault interval starts when the failing streak began (so
the time a clinician sees is when the fault started, not when it was confirmed) and ends once the
rule has passed again for ``min_persist_s``.

``reached`` rules (depth, full extension) are judged once per rep instead: did the signal get into
the ok band at any point of the rep?
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcheck.specs.schema import Rule


@dataclass(frozen=True)
class Fault:
    rule: str
    start_s: float
    end_s: float
    severity: str
    message: str


class RuleMonitor:
    """Tracks one ``throughout`` rule over time."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self._fail_since = math.nan
        self._pass_since = math.nan
        self._active_since = math.nan
        self._last_fail_s = math.nan

    @property
    def active(self) -> bool:
        """True while a confirmed fault is under way."""
        return not math.isnan(self._active_since)

    @property
    def active_since_s(self) -> float:
        """When the confirmed fault under way began failing (NaN when none)."""
        return self._active_since

    def update(self, t_s: float, value: float, applicable: bool) -> Fault | None:
        """Feed one frame; returns a fault interval that this frame closed, if any."""
        if not applicable or math.isnan(value):
            # Not judged now: a confirmed fault is closed at the last failing moment.
            self._fail_since = math.nan
            self._pass_since = math.nan
            return self._close(self._last_fail_s)
        if self.rule.ok.contains(value):
            self._fail_since = math.nan
            if math.isnan(self._pass_since):
                self._pass_since = t_s
            if self.active and t_s - self._pass_since >= self.rule.min_persist_s:
                return self._close(self._pass_since)
            return None
        self._pass_since = math.nan
        self._last_fail_s = t_s
        if math.isnan(self._fail_since):
            self._fail_since = t_s
        if not self.active and t_s - self._fail_since >= self.rule.min_persist_s:
            self._active_since = self._fail_since
        return None

    def _close(self, end_s: float) -> Fault | None:
        if not self.active:
            return None
        fault = Fault(
            self.rule.id, self._active_since, end_s, self.rule.severity, self.rule.message
        )
        self._active_since = math.nan
        return fault

    def close(self, t_s: float) -> Fault | None:
        """End of the session: the fault under way, if any."""
        return self._close(t_s)


class ReachTracker:
    """Tracks one ``reached`` rule over a rep: the closest the signal came to its ok band."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self._best_gap = math.inf

    def update(self, value: float) -> None:
        if math.isnan(value):
            return
        ok = self.rule.ok
        gap = 0.0
        if ok.min is not None and value < ok.min:
            gap = ok.min - value
        elif ok.max is not None and value > ok.max:
            gap = value - ok.max
        self._best_gap = min(self._best_gap, gap)

    def passed_and_reset(self) -> bool:
        """Whether the rep reached the band (no data counts as not judged, i.e. passed)."""
        passed = self._best_gap == 0.0 or math.isinf(self._best_gap)
        self._best_gap = math.inf
        return passed


class SwingCounter:
    """Oscillation of one signal: reversals of at least ``swing`` in the last ``window_s`` seconds.

    A zigzag with hysteresis: the signal must come back by ``swing`` from its latest extreme before
    a reversal is counted, so landmark jitter smaller than the swing counts nothing, and a slow
    steady drift in one direction (easing further into a stretch) counts nothing either. The
    frequency is reversals / (2 * window): two reversals make one cycle.
    """

    def __init__(self, window_s: float, swing: float) -> None:
        self._window_s = window_s
        self._swing = swing
        self._direction = 0  # +1 rising, -1 falling, 0 not yet moved by a swing
        self._extreme = math.nan
        self._lo = math.nan  # range seen before the first swing
        self._hi = math.nan
        self._reversals: list[float] = []

    def update(self, t_s: float, value: float) -> float:
        """Feed one sample; returns the oscillation frequency in Hz over the window."""
        if not math.isnan(value):
            if self._direction == 0:
                self._lo = value if math.isnan(self._lo) else min(self._lo, value)
                self._hi = value if math.isnan(self._hi) else max(self._hi, value)
                if value - self._lo >= self._swing:
                    self._direction, self._extreme = 1, value
                elif self._hi - value >= self._swing:
                    self._direction, self._extreme = -1, value
            elif (value - self._extreme) * self._direction > 0:
                self._extreme = value
            elif abs(value - self._extreme) >= self._swing:
                self._reversals.append(t_s)
                self._direction = -self._direction
                self._extreme = value
        while self._reversals and t_s - self._reversals[0] > self._window_s:
            self._reversals.pop(0)
        return len(self._reversals) / (2.0 * self._window_s)
