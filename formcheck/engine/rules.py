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

from formcheck.signals.filters import RollingMedian
from formcheck.specs.schema import Rule
from formcheck.types import Severity


@dataclass(frozen=True)
class Fault:
    """A rule broken over a stretch of time: which rule, when, how much it matters and the cue."""

    rule: str
    start_s: float
    end_s: float
    severity: Severity
    message: str


# A signal measured from the image (the back's outline) drops out for a frame or two when the
# outline is not traced; gaps this short keep a failing or passing streak going.
MEASURE_GAP_S = 0.3


class RuleMonitor:
    """Tracks one ``throughout`` rule over time."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self._last_value_s = -math.inf
        self._fail_since = math.nan
        self._pass_since = math.nan
        self._active_since = math.nan
        self._last_fail_s = math.nan

    @property
    def active(self) -> bool:
        """True while a confirmed fault is under way."""
        return not math.isnan(self._active_since)

    @property
    def failing(self) -> bool:
        """True while the rule is judged and failing now (confirmed or not)."""
        return not math.isnan(self._fail_since)

    @property
    def active_since_s(self) -> float:
        """When the confirmed fault under way began failing (NaN when none)."""
        return self._active_since

    def passes(self, value: float, baseline: float = math.nan) -> bool:
        """Is ``value`` inside the rule's ``ok`` band, and (when the rule has one and the start
        value ``baseline`` is known) inside its ``change_from_start`` band?"""
        if not self.rule.ok.contains(value):
            return False
        change = self.rule.change_from_start
        return change is None or math.isnan(baseline) or change.contains(value - baseline)

    def update(
        self, t_s: float, value: float, applicable: bool, baseline: float = math.nan
    ) -> Fault | None:
        """Feed one frame; returns a fault interval that this frame closed, if any."""
        if applicable and math.isnan(value) and t_s - self._last_value_s <= MEASURE_GAP_S:
            return None  # a frame or two not measured is neither a correction nor a fault
        if not math.isnan(value):
            self._last_value_s = t_s
        if not applicable or math.isnan(value):
            # Not judged now: a confirmed fault is closed at the last failing moment.
            self._fail_since = math.nan
            self._pass_since = math.nan
            return self._close(self._last_fail_s)
        if self.passes(value, baseline):
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
        """Feed one sample (NaN is skipped), keeping the closest the signal came to the ok band."""
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


# Spikes up to about a third of this long are removed before counting swings; a 1-2 Hz bounce
# keeps 80-95% of its amplitude through a median this short.
SPIKE_MEDIAN_S = 0.2
# A bounce comes back from its turning point within this time (bouncing is ~1-2 Hz, so its
# half-cycles last 0.25-0.5 s); a slower return is easing in or out of a stretch.
MAX_TURN_S = 0.7
# No reversal for this long and the bouncing has stopped, however many the window still holds:
# the clock a bounce stopped runs again about a second after the last one, not a window later.
BOUNCING_OVER_S = 1.0


class SwingCounter:
    """Oscillation of one signal: reversals of at least ``swing`` in the last ``window_s`` seconds.

    A zigzag with hysteresis: the signal must come back by ``swing`` from its latest extreme before
    a reversal is counted, so landmark jitter smaller than the swing counts nothing, and a slow
    steady drift in one direction (easing further into a stretch) counts nothing either. The
    frequency is reversals / (2 * window): two reversals make one cycle. A reversal counts only
    if the signal came back by ``swing`` within ``MAX_TURN_S`` of its extreme: a bounce is a quick
    push and release, whereas easing out of a stretch seconds after the last push is not. The
    signal first goes through a running median over ``SPIKE_MEDIAN_S``: a landmark glitch of a
    frame or two (a hand over the ankle in a quad stretch) is not a swing.
    """

    def __init__(self, window_s: float, swing: float) -> None:
        self._window_s = window_s
        self._swing = swing
        self._direction = 0  # +1 rising, -1 falling, 0 not yet moved by a swing
        self._extreme = math.nan
        self._extreme_s = math.nan
        self._lo = math.nan  # range seen before the first swing
        self._hi = math.nan
        self._reversals: list[float] = []
        self._despike = RollingMedian(SPIKE_MEDIAN_S)

    def update(self, t_s: float, value: float, since_s: float = -math.inf) -> float:
        """Feed one sample; returns the oscillation frequency in Hz over the window, counting
        only reversals at or after ``since_s`` (e.g. shortly before the position was taken, so
        that getting into it, or switching legs, is not read as bouncing)."""
        if not math.isnan(value):
            value = self._despike.add(t_s, value)
            if self._direction == 0:
                self._lo = value if math.isnan(self._lo) else min(self._lo, value)
                self._hi = value if math.isnan(self._hi) else max(self._hi, value)
                if value - self._lo >= self._swing:
                    self._direction, self._extreme, self._extreme_s = 1, value, t_s
                elif self._hi - value >= self._swing:
                    self._direction, self._extreme, self._extreme_s = -1, value, t_s
            elif (value - self._extreme) * self._direction > 0:
                self._extreme, self._extreme_s = value, t_s
            elif abs(value - self._extreme) >= self._swing:
                if t_s - self._extreme_s <= MAX_TURN_S:
                    self._reversals.append(t_s)
                self._direction = -self._direction
                self._extreme, self._extreme_s = value, t_s
        while self._reversals and t_s - self._reversals[0] > self._window_s:
            self._reversals.pop(0)
        if self._reversals and t_s - self._reversals[-1] > BOUNCING_OVER_S:
            return 0.0
        counted = sum(1 for r in self._reversals if r >= since_s)
        return counted / (2.0 * self._window_s)


# The start value is the median of the signal over this much of the latest stay in the start
# position: long enough to outvote the first part of a rep (still inside the start band), short
# enough to follow a person who shifts between reps.
START_BASELINE_S = 2.0


class StartBaseline:
    """A signal's value in the start position, for rules judged as a change from it.

    Fed every frame; samples are kept only while the rep counter is in its start phase, so the
    value is frozen during each rep. NaN until the start position has been seen.
    """

    def __init__(self) -> None:
        self._start_values = RollingMedian(START_BASELINE_S)

    def update(self, t_s: float, value: float, in_start: bool) -> float:
        """Feed one frame; returns the start value (samples are taken only while ``in_start``)."""
        if in_start and not math.isnan(value):
            return self._start_values.add(t_s, value)
        return self._start_values.value
