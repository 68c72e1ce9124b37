"""Hold timing: the clock runs only while the position is right.

A hold starts when the signal is in the target band and every hold rule passes; it survives breaks
shorter than ``max_break_s`` (a wobble, one bad frame) but that break time is not counted; it ends
after a longer break, and is kept if it lasted at least ``min_hold_s``. Where the spec asks for
stillness (``settle_within``), the way out is not counted either: the hold ends at the last moment
the person was where they had settled, not when the signal finally leaves the band.

A hold rule's fault is only confirmed after it has failed for its ``min_persist_s``, by which time
the clock has run on through the faulty stretch: the session then calls :meth:`HoldTimer.take_back`
with the moment the failing streak began, and that stretch becomes a pause: the clock stops, and
the hold goes on once the fault is corrected, if that happens within ``max_fault_pause_s``.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field, replace

from formcheck.specs.schema import HoldSpec, WorkingSide

# A stay in position shorter than a hold but at least this long is kept as an attempt (a pulsed
# stretch, a hold let go too early): half a second is longer than any landmark flicker.
MIN_ATTEMPT_S = 0.5


@dataclass(frozen=True)
class Hold:
    """A finished hold: when it ran, the time in position, its side and depth."""

    start_s: float
    end_s: float
    duration_s: float  # time actually in position, breaks excluded
    side: WorkingSide
    rom: float = math.nan  # median of the spec's range-of-motion signal while in position
    rom_best: float = math.nan  # its best value while in position (the spec's rom.better)


@dataclass
class _Samples:
    values: list[float] = field(default_factory=list)

    def median(self) -> float:
        good = [v for v in self.values if not math.isnan(v)]
        return statistics.median(good) if good else math.nan

    def best(self, higher: bool) -> float:
        good = [v for v in self.values if not math.isnan(v)]
        if not good:
            return math.nan
        return max(good) if higher else min(good)


class SettleDetector:
    """Is the person still? The hold signal has stayed within ``within`` for ``window_s``.

    ``update`` takes the signal while in the position (NaN otherwise, which starts afresh) and
    says whether the person is still now. ``at_rest`` then says whether they are where they last
    rested: still, or within ``within`` of the median of their last still window (a hand
    adjusting a grip is at rest; walking the hands back out of the stretch is not). With
    ``within`` None every in-position frame counts as still and at rest.
    """

    def __init__(self, window_s: float, within: float | None) -> None:
        self._window_s = window_s
        self._within = within
        self._samples: deque[tuple[float, float]] = deque()
        self._rest_level = math.nan
        self.at_rest = False
        self.still_since_s = math.nan  # the start of the still window, while still

    def update(self, t_s: float, value: float) -> bool:
        """Feed the hold signal (NaN out of position); returns whether the person is still now."""
        if math.isnan(value):
            self._samples.clear()
            self._rest_level = math.nan
            self.at_rest = False
            self.still_since_s = math.nan
            return False
        if self._within is None:
            self.at_rest = True
            self.still_since_s = t_s
            return True
        self._samples.append((t_s, value))
        # Keep the window at least ``window_s`` long whatever the frame rate: drop the oldest
        # sample only while the next one is old enough on its own.
        while len(self._samples) > 1 and t_s - self._samples[1][0] >= self._window_s:
            self._samples.popleft()
        values = [v for _, v in self._samples]
        long_enough = t_s - self._samples[0][0] >= self._window_s * 0.9
        still = long_enough and max(values) - min(values) <= self._within
        if still:
            self._rest_level = statistics.median(values)
        self.still_since_s = self._samples[0][0] if still else math.nan
        self.at_rest = still or abs(value - self._rest_level) <= self._within
        return still


class HoldTimer:
    """Times the stays in position and turns the long enough ones into holds."""

    def __init__(self, spec: HoldSpec, rom_better: str | None = None) -> None:
        self._spec = spec
        # Which way the range-of-motion signal is better ("higher" or "lower"): the hold's best.
        # None: the spec reports no range of motion (every value is NaN, there is no best).
        self._rom_higher = rom_better != "lower"
        self._start_s = math.nan
        self._last_good_s = math.nan
        self._counted_s = 0.0
        self._side_votes: dict[WorkingSide, int] = {}
        self._last_t = math.nan
        # The last frame of the hold under way at which the person was at rest (see ``update``).
        self._last_at_rest_s = math.nan
        self._rom = _Samples()
        # (time, seconds counted up to then) of each good frame of the hold under way, so that
        # time counted during a fault confirmed later can be taken back.
        self._ledger: list[tuple[float, float]] = []
        self.short_holds: list[Hold] = []  # stays in position shorter than min_hold_s

    @property
    def active(self) -> bool:
        """Whether a hold is under way."""
        return not math.isnan(self._start_s)

    @property
    def current_s(self) -> float:
        """Seconds counted in the hold under way, 0 when none."""
        return self._counted_s if self.active else 0.0

    def update(
        self,
        t_s: float,
        in_position: bool,
        side: WorkingSide,
        rom: float = math.nan,
        fault_pause: bool = False,
        at_rest: bool = True,
        began_s: float | None = None,
    ) -> Hold | None:
        """Feed one frame; returns the hold that this frame ended, if any.

        ``rom`` is the range-of-motion signal now; its median over the hold is reported.
        ``fault_pause``: out of position only because a hold rule is failing while the stretch
        itself is held; the clock stops, but the hold survives up to ``max_fault_pause_s``.
        ``at_rest``: the person is at rest in the position now (always, for a spec that does not
        ask for stillness, see :class:`SettleDetector`); a hold ends at its last such frame.
        ``began_s``: for a hold starting now, when the person in fact took the position (held
        while the start was being confirmed); it is counted from then.
        """
        finished = None
        if in_position:
            self._rom.values.append(rom)
            if not self.active:
                start_s = t_s if began_s is None or not began_s < t_s else began_s
                self._start_s, self._counted_s = start_s, t_s - start_s
                self._last_at_rest_s = math.nan
                self._side_votes = {}
                self._ledger = []
            elif not math.isnan(self._last_good_s) and self._last_t == self._last_good_s:
                # Consecutive good frames: count the time between them.
                self._counted_s += t_s - self._last_good_s
            self._last_good_s = t_s
            if at_rest:
                self._last_at_rest_s = t_s
            self._ledger.append((t_s, self._counted_s))
            # The side is the majority over the hold: one misread frame must not split it.
            self._side_votes[side] = self._side_votes.get(side, 0) + 1
        elif self.active:
            allowed = self._spec.max_fault_pause_s if fault_pause else self._spec.max_break_s
            if t_s - self._last_good_s > max(allowed, self._spec.max_break_s):
                finished = self._finish()
        self._last_t = t_s
        return finished

    def take_back(self, since_s: float) -> None:
        """Un-count the hold's time from ``since_s`` on: a fault that began then has just been
        confirmed, so the position was not right since then. The hold under way now ends at its
        last good frame before ``since_s`` (or is dropped if it began after it); the frames in
        between count as a break, so a long enough fault ends the hold on the next frame out of
        position."""
        if not self.active:
            return
        kept = [entry for entry in self._ledger if entry[0] < since_s]
        if not kept:
            self._start_s = math.nan
            self._counted_s = 0.0
            self._ledger = []
            self._rom = _Samples()
            return
        self._ledger = kept
        self._last_good_s, self._counted_s = kept[-1]

    def _finish(self) -> Hold | None:
        if not self.active:
            return None
        # Moving out of the position (the signal drifting away but still in the band) is the way
        # out, not the hold: end it where the person was last at rest.
        until_rest = [entry for entry in self._ledger if entry[0] <= self._last_at_rest_s]
        if until_rest and until_rest[-1][0] < self._last_good_s:
            self._last_good_s, self._counted_s = until_rest[-1]
        side: WorkingSide = (
            max(self._side_votes, key=lambda k: self._side_votes[k]) if self._side_votes else "none"
        )
        hold = Hold(self._start_s, self._last_good_s, self._counted_s, side, self._rom.median())
        hold = replace(hold, rom_best=self._rom.best(self._rom_higher))
        self._start_s = math.nan
        self._counted_s = 0.0
        self._rom = _Samples()
        self._ledger = []
        if hold.duration_s >= self._spec.min_hold_s:
            return hold
        if hold.duration_s >= MIN_ATTEMPT_S:
            self.short_holds.append(hold)
        return None

    def close(self) -> Hold | None:
        """End of the session: the hold under way, if long enough."""
        return self._finish()
