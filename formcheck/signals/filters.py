"""Causal smoothing of signals, with gaps handled.

Live feedback can only use the past, so every filter here is causal. The One Euro filter (Casiez,
Roussel and Vogel, CHI 2012; the ``OneEuroFilter`` package) smooths hard when a signal is still
and follows quickly when it moves, which is what rep counting wants: little jitter at the top of a
squat, little lag on the way down.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

from OneEuroFilter import OneEuroFilter


@dataclass(frozen=True)
class OneEuroParams:
    """The One Euro filter's tuning: its cutoff at rest, how fast the cutoff rises with speed,
    and the cutoff of the speed itself."""

    min_cutoff_hz: float = 1.5
    beta: float = 0.05
    d_cutoff_hz: float = 1.0


class CausalOneEuro:
    """One Euro filter over a scalar signal sampled at irregular times.

    NaN input (landmark not visible) does not touch the filter and returns NaN. After a gap longer
    than ``max_gap_s`` the filter starts afresh, so a person who walked out and back is not dragged
    in from where they left.
    """

    def __init__(self, params: OneEuroParams | None = None, max_gap_s: float = 0.5) -> None:
        self._params = params or OneEuroParams()
        self._max_gap_s = max_gap_s
        self._filter: OneEuroFilter | None = None
        self._last_t: float | None = None

    def __call__(self, value: float, t_s: float) -> float:
        """Smooth one sample taken at ``t_s`` seconds; NaN in, NaN out."""
        if math.isnan(value):
            return math.nan
        if self._filter is None or self._last_t is None or t_s - self._last_t > self._max_gap_s:
            p = self._params
            self._filter = OneEuroFilter(30.0, p.min_cutoff_hz, p.beta, p.d_cutoff_hz)
            # The package ignores a timestamp of exactly 0 s (it tests truthiness), so shift by 1 s.
        self._last_t = t_s
        return float(self._filter(value, t_s + 1.0))


class RollingMedian:
    """Median of the samples added in the last ``window_s`` seconds (NaN before the first).

    Only the samples given to ``add`` count, so a caller that adds only while a condition holds
    (standing, in the start position) gets the median of its latest stretch of such frames, and
    the value stays put in between.
    """

    def __init__(self, window_s: float) -> None:
        self._window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def add(self, t_s: float, value: float) -> float:
        """Add a sample taken at ``t_s``; returns the median over the window."""
        self._samples.append((t_s, value))
        while t_s - self._samples[0][0] > self._window_s:
            self._samples.popleft()
        return self.value

    @property
    def value(self) -> float:
        """The median of the samples in the window (NaN before the first)."""
        if not self._samples:
            return math.nan
        return statistics.median(v for _, v in self._samples)


class JitterGate:
    """Drops a measurement while its recent readings disagree from frame to frame.

    A body changes shape smoothly: between two frames a joint angle or the bend of the back moves
    on from where it was heading. A reading that swings back and forth by tens of degrees from one
    frame to the next is not measuring the body (an arm swinging through the back's outline, a
    dim or blurred silhouette). The spread is the median absolute second difference of the raw
    readings over the last ``window_s`` seconds: a steady movement, fast or slow, gives about 0,
    a reading flickering around its level gives about twice its flicker. Above ``max_jitter``
    the value is replaced by NaN (not measured).
    """

    def __init__(self, max_jitter: float, window_s: float = 0.4) -> None:
        self._max_jitter = max_jitter
        self._window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def __call__(self, raw: float, smoothed: float, t_s: float) -> float:
        """``smoothed``, or NaN while the raw readings of the last ``window_s`` jitter."""
        if self._samples and t_s < self._samples[-1][0]:
            self._samples.clear()
        self._samples.append((t_s, raw))
        while t_s - self._samples[0][0] > self._window_s:
            self._samples.popleft()
        return math.nan if self.jitter > self._max_jitter else smoothed

    @property
    def jitter(self) -> float:
        """The median absolute second difference of the readings in the window (0 with fewer
        than three in a row)."""
        values = [v for _, v in self._samples]
        seconds = [
            abs(a - 2 * b + c)
            for a, b, c in zip(values, values[1:], values[2:], strict=False)
            if not (math.isnan(a) or math.isnan(b) or math.isnan(c))
        ]
        return statistics.median(seconds) if seconds else 0.0
