"""Rep counting: a band state machine with hysteresis and time-based debounce.

A rep is start band -> (outward) -> end band -> (return) -> start band, and it is counted on the
return to the start band, the moment a squat or a deadlift is locked out. A band only counts as
entered once the signal has stayed in it for ``min_phase_s`` seconds of frame time, so a dip shorter
than that, or a signal hovering at a threshold, counts nothing, whatever the frame rate. Each sample
stands for one frame interval, so a stay of n samples lasts n intervals; timed from the first sample
to the last alone, a 0.25 s pause at the top of a squat spans 0.2 s at 30 fps but as little as
0.13 s at 15 fps, which would merge brisk reps in low frame-rate clips. Samples without a value (no
pose, landmark hidden) leave the state untouched: a dropout cannot count a rep twice.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Literal

from formcheck.specs.schema import RepPhases
from formcheck.types import Phase

# The signal is "at rest" while within this fraction of the gap between the bands of its resting
# level (e.g. 4.5 deg for a 30 deg gap): larger than landmark jitter at rest, smaller than the
# first tenth of a second of a real movement.
REST_TOL_FRAC = 0.15

# Where a sample lies: in the start band, in the end band, or in the gap between them ("none"
# before the first sample).
RepBand = Literal["start", "end", "between", "none"]

# A gap longer than this between two samples (a dropout) adds no more than this to a stay: the
# frames in between were not seen.
MAX_FRAME_DT_S = 0.1


@dataclass(frozen=True)
class Rep:
    """One counted rep: when it left the start band and came back, and its furthest point."""

    start_s: float
    end_s: float
    peak_value: float
    peak_s: float
    # When the movement began: the last moment, before leaving the start band, that the signal
    # was still at its resting level. ``end_s - move_start_s`` is the rep's tempo (see ``tempo_s``).
    move_start_s: float = math.nan
    # The signal went from the start band straight into the end band between two frames at most
    # MAX_FRAME_DT_S apart: no body moves that fast, so the movement itself was not seen (the
    # model misread the pose, or the video cut), and its tempo is not known.
    leapt: bool = False

    @property
    def began_s(self) -> float:
        """When the movement began: ``move_start_s`` when known, never after leaving the band."""
        if math.isnan(self.move_start_s):
            return self.start_s
        return min(self.move_start_s, self.start_s)

    @property
    def tempo_s(self) -> float:
        """Time from the start of the movement to being back in the start band: the whole rep
        as a clinician times it, bar the final settling. The time away from the start band alone
        is only ~70% of it for a calm rep, because the first and last part of the movement (up to
        the band's edge) happen inside the band."""
        return self.end_s - self.began_s


def _further(rising: bool, a: float, b: float) -> bool:
    """Is ``a`` further along the rep than ``b`` (any value is further than NaN)?"""
    if math.isnan(b):
        return True
    return a > b if rising else a < b


class RestLevel:
    """The rep signal's resting level in the start band, for bands measured from rest.

    ``value`` is the start-ward extreme of the current stay in the start band, or with
    ``rest_median_s`` the median of the recent samples in a start position; ``last_s`` is the
    last time the signal was within ``REST_TOL_FRAC`` of the band gap of it (where a movement
    began).
    """

    def __init__(self, spec: RepPhases) -> None:
        self._spec = spec
        self.value = math.nan
        self.last_s = math.nan
        self._samples: deque[tuple[float, float]] = deque()

    def note(self, t_s: float, value: float, in_start_position: bool) -> None:
        """Update the resting level the bands are measured from (start phase only)."""
        window_s = self._spec.rest_median_s
        if window_s is None:
            self._lower(value)
            return
        if not in_start_position:
            return
        samples = self._samples
        samples.append((t_s, value))
        while t_s - samples[0][0] > window_s:
            samples.popleft()
        self.value = statistics.median(v for _, v in samples)

    def track(self, t_s: float, value: float) -> None:
        """A sample in the start band during the start phase: still at rest?"""
        if self._spec.rest_median_s is None:
            self._lower(value)
        if abs(value - self.value) <= self._tol():
            self.last_s = t_s

    def forget(self) -> None:
        """Back from an excursion: the resting level is looked for afresh (a median level goes
        on from the samples of its window)."""
        self.last_s = math.nan
        if self._spec.rest_median_s is None:
            self.value = math.nan

    def _tol(self) -> float:
        s, e = self._spec.start, self._spec.end
        gap = (e.min - s.max) if self._spec.rising else (s.min - e.max)  # type: ignore[operator]
        return REST_TOL_FRAC * abs(gap)

    def _lower(self, value: float) -> None:
        """The resting level follows the start-ward extreme of the stay in the start band."""
        if math.isnan(self.value) or not _further(self._spec.rising, value, self.value):
            self.value = value


class RepCounter:
    """Counts reps of one signal against the spec's start and end bands.

    ``update`` returns the finished :class:`Rep` on the frame that completes it, else ``None``.
    ``phase`` is one of ``start``, ``outward``, ``end``, ``return``.
    """

    def __init__(self, spec: RepPhases) -> None:
        self._spec = spec
        self.phase: Phase = "start"
        self._band: RepBand = "none"  # band of the current streak of samples
        self._band_since = math.nan  # time the current streak began
        self._confirmed: RepBand = "start"  # last band held for min_phase_s
        self._left_start_s = math.nan
        self._peak = math.nan
        self._peak_s = math.nan
        self._last_t = math.nan
        self._last_value = math.nan
        self._rest = RestLevel(spec)
        self._move_start_s = math.nan
        self._leapt = False

    @property
    def peak_s(self) -> float:
        """When the current (or last) rep reached its furthest value."""
        return self._peak_s

    def _band_of(self, value: float) -> RepBand:
        spec = self._spec
        if spec.from_rest:
            return self._band_from_rest(value)
        if spec.start.contains(value):
            return "start"
        if spec.end.contains(value):
            return "end"
        return "between"

    def _band_from_rest(self, value: float) -> RepBand:
        """Bands measured from the resting level: the start-ward extreme of the current stay in
        the start band (so far), frozen while a rep is under way."""
        spec = self._spec
        rest = self._rest.value
        if math.isnan(rest):
            return "start"  # no resting level seen yet: nothing can have begun
        offset = value - rest
        if spec.back_share is not None and self.phase != "start" and not math.isnan(self._peak):
            # Back once it has come back_share of the way from the peak, even if that is still
            # far from where it rested before (it may rest elsewhere now).
            reach = (self._peak - rest) * (1.0 - spec.back_share)
            if (offset <= reach) if spec.rising else (offset >= reach):
                return "start"
        if spec.end.contains(offset):
            return "end"
        if spec.start.contains(offset):
            return "start"
        return "between"

    def _further(self, a: float, b: float) -> bool:
        """Is ``a`` further along the rep than ``b``?"""
        return _further(self._spec.rising, a, b)

    def reset(self, t_s: float, value: float, in_end: bool = False) -> None:
        """Start afresh at ``t_s`` (the readiness gate just opened), dropping any rep in progress.

        A person may begin in the end band (a deadlift set up over the bar, sitting on the box):
        the first return to the start band then completes a rep that began now. ``in_end`` says
        so when the signal cannot tell (NaN, e.g. a depth measured against a standing height
        not seen yet).
        """
        spec = self._spec
        self.__init__(spec)  # type: ignore[misc]
        # Measured from a resting level, no value is in the end band before a rest is seen.
        seen_in_end = not spec.from_rest and not math.isnan(value) and spec.end.contains(value)
        if in_end or seen_in_end:
            self.phase = self._confirmed = self._band = "end"
            self._band_since = self._left_start_s = self._move_start_s = t_s
            self._peak, self._peak_s = value, t_s

    def _past_midway(self, value: float) -> bool:
        """Is ``value`` nearer the start band than the end band (past the middle of the gap)?"""
        s, e = self._spec.start, self._spec.end
        if self._spec.from_rest:
            value -= self._rest.value
        if self._spec.rising:
            return value <= (s.max + e.min) / 2  # type: ignore[operator]
        return value >= (s.min + e.max) / 2  # type: ignore[operator]

    def finish(self, last_raw: float = math.nan) -> Rep | None:
        """End of the recording: a rep on its way back is complete if it is back in the start
        band but not yet for ``min_phase_s``, or has come back out of the end band past the middle
        of the gap (the clip stopped as the person stood up).

        ``last_raw`` is the last frame's unsmoothed value, when known: a smoothing filter lags a
        quick return by a tenth of a second or two, which at the clip's end would lose a rep the
        person has visibly finished.
        """
        last = self._last_value if math.isnan(last_raw) else last_raw
        band = self._band if math.isnan(last_raw) else self._band_of(last_raw)
        back = band == "start" or (
            band == "between"
            and self._confirmed != "start"
            and not math.isnan(last)
            and self._past_midway(last)
        )
        returning = self.phase in ("end", "return") and back
        end_s = self._band_since if self._band == "start" else self._last_t
        if (
            returning
            and self._confirmed != "start"
            and end_s - self._left_start_s <= self._spec.max_rep_s
        ):
            self.phase = "start"
            return self._rep(end_s)
        return None

    def update(self, t_s: float, value: float, in_start_position: bool = True) -> Rep | None:
        """Feed one sample; ``in_start_position`` says whether the person is in one of the
        spec's start positions now (only such samples set a median resting level)."""
        if math.isnan(value):
            return None
        if self.phase == "start" and self._spec.from_rest:
            self._rest.note(t_s, value, in_start_position)  # the bands are measured from it
        band = self._band_of(value)
        previous_band = self._band
        if band != self._band:
            self._band = band
            self._band_since = t_s
        if self.phase == "start" and band == "start":
            self._rest.track(t_s, value)
        if self.phase == "start" and band != "start":
            self._leave_start(t_s, value, band, previous_band)
        if self.phase != "start" and self._further(value, self._peak):
            self._peak, self._peak_s = value, t_s
        frame_dt_s = 0.0 if math.isnan(self._last_t) else min(t_s - self._last_t, MAX_FRAME_DT_S)
        self._last_t = t_s
        self._last_value = value

        # (a nanosecond of slack: frame times are sums of floats, and a stay of exactly
        # min_phase_s must not depend on their rounding)
        held = t_s - self._band_since + frame_dt_s >= self._spec.min_phase_s - 1e-9
        return self._hold_band(band) if held else None

    def _leave_start(self, t_s: float, value: float, band: RepBand, previous_band: RepBand) -> None:
        """Leaving the start band starts a rep candidate at the last sample seen in the start
        band."""
        if self._confirmed == "start" and self._band_since == t_s:
            self._left_start_s = self._last_t if not math.isnan(self._last_t) else t_s
            rest_s = self._rest.last_s
            self._move_start_s = rest_s if not math.isnan(rest_s) else t_s
            self._peak, self._peak_s = value, t_s
            self._leapt = (
                band == "end" and previous_band == "start" and t_s - self._last_t <= MAX_FRAME_DT_S
            )
        self.phase = "outward"

    def _hold_band(self, band: RepBand) -> Rep | None:
        """``band`` has been held for ``min_phase_s``: move on a phase; back in the start band
        after reaching the end band is a rep."""
        previous = self._confirmed
        self._confirmed = band
        if band == "end" and self.phase in ("outward", "return"):
            self.phase = "end"
        elif band == "between" and self.phase == "end":
            self.phase = "return"
        elif band == "start":
            completed = previous != "start" and self.phase in ("end", "return")
            rep = None
            if completed and self._band_since - self._left_start_s <= self._spec.max_rep_s:
                rep = self._rep(self._band_since)
            if self.phase != "start":
                self._rest.forget()
            self.phase = "start"
            self._peak = math.nan
            return rep
        return None

    def _rep(self, end_s: float) -> Rep:
        """The rep under way, ending at ``end_s``."""
        return Rep(
            self._left_start_s,
            end_s,
            self._peak,
            self._peak_s,
            self._move_start_s,
            self._leapt,
        )
