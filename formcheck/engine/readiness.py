"""The readiness gate: nothing is counted, timed or judged until the person shows the start.

A frame the perception room could judge is judged once the person has held one of the spec's
start positions (``ready.positions``, or an end position, ``ready.end_positions``, for an exercise
that may begin at its end) for ``ready.min_s``. Without a person for ``LOST_RESET_S`` the start
must be shown again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from formcheck.specs.schema import Band, NotJudgedReason, Readiness

# Without a person for this long, the start position must be shown again before counting resumes.
LOST_RESET_S = 2.0


def in_any_position(positions: list[dict[str, Band]], signals: Mapping[str, float]) -> bool:
    """Is the person in any one of these positions (signal -> band) now?"""
    return any(
        all(band.contains(signals[name]) for name, band in position.items())
        for position in positions
    )


@dataclass(frozen=True)
class Gate:
    """The readiness gate's answer for one frame."""

    reason: NotJudgedReason | None  # why the frame cannot be judged; None when it can
    awaited: bool = False  # readiness was looked for on this frame (a person in view, not ready)
    opened: bool = False  # readiness was confirmed on this frame
    in_end: bool = False  # ... in one of the spec's end positions
    start_since_s: float = math.nan  # ... the position held since then
    lost: bool = False  # no person for LOST_RESET_S: readiness is lost


class ReadinessGate:
    """Opens once the person has held a start position; closes when they have been gone a while.

    Args:
        ready: The spec's ``ready`` section.
    """

    def __init__(self, ready: Readiness) -> None:
        self._spec = ready
        self.ready = False
        self._start_since = math.nan
        self._last_pose_s = math.nan

    def update(
        self,
        t_s: float,
        has_pose: bool,
        reason: NotJudgedReason | None,
        signals: Mapping[str, float],
    ) -> Gate:
        """Feed one frame: whether it had a person, perception's ``reason`` not to judge it
        (None when it could), and its signals."""
        if not has_pose:
            lost = not math.isnan(self._last_pose_s) and t_s - self._last_pose_s > LOST_RESET_S
            if lost:
                self.ready = False
                self._start_since = math.nan
            return Gate(reason, lost=lost)
        self._last_pose_s = t_s
        if reason is not None or self.ready:
            return Gate(reason)
        return self._await(t_s, signals)

    def _await(self, t_s: float, signals: Mapping[str, float]) -> Gate:
        """Is the start (or an end) position held long enough now?"""
        in_end = in_any_position(self._spec.end_positions, signals)
        if not (in_end or in_any_position(self._spec.positions, signals)):
            self._start_since = math.nan
            return Gate("not_ready", awaited=True)
        if math.isnan(self._start_since):
            self._start_since = t_s
        if t_s - self._start_since < self._spec.min_s:
            return Gate("not_ready", awaited=True)
        self.ready = True
        return Gate(None, awaited=True, opened=True, in_end=in_end, start_since_s=self._start_since)
