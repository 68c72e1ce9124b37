"""The hold clock: is the person holding the stretch, and for how long.

:class:`HoldClock` keeps what one hold exercise needs around the timer itself
(:class:`~formcheck.engine.holds.HoldTimer`): whether the person is in the spec's posture and
still in it (:class:`~formcheck.engine.holds.SettleDetector`), short of a clinician's minimum
depth (``hold.target``), when the position was last taken after a real absence (the steady rules
count swings from then), and since when the posture was held while readiness was awaited (a
stretch held through the wait was held all along: its clock starts from then).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from formcheck.engine.holds import Hold, HoldTimer, SettleDetector
from formcheck.engine.readiness import in_any_position
from formcheck.specs.schema import HoldSpec, RomSpec, WorkingSide

# Out of the hold position this long is a real absence (a leg switch, a rest), not a bounce: a
# bounce of 1 Hz or faster leaves the band for well under a second per swing.
POSITION_ABSENCE_S = 1.5


class Placed(NamedTuple):
    """Where the person is on one frame, as far as the hold is concerned."""

    holding: bool  # still (or staying) in the posture: the frame's phase is ``hold``
    in_position: bool  # holding, and deep enough for the clinician's target if there is one


NOT_HOLDING = Placed(holding=False, in_position=False)


class HoldClock:
    """Times the holds of one exercise.

    Args:
        hold: The spec's ``hold`` section.
        rom: The spec's range of motion, reported per hold (None: none reported).
    """

    def __init__(self, hold: HoldSpec, rom: RomSpec | None) -> None:
        self._hold = hold
        self._rom_signal = rom.signal if rom else None
        self._timer = HoldTimer(hold, rom.better if rom else None)
        self._settle = SettleDetector(hold.settle_s, hold.settle_within)
        self._below_target = False  # in the posture, short of the clinician's minimum depth
        self._position_left_s: float | None = None  # since when the hold position is left
        self.position_since_s = -math.inf  # when it was last taken after a real absence
        self._posture_since = math.nan  # in the posture since, while readiness is awaited
        self._ready_at = (math.nan, math.nan)  # (when readiness was confirmed, since when held)
        self._in_posture = False  # on the latest placed frame
        self._clear_since = math.nan  # in the posture with nothing stopping the clock, since
        self.holds: list[Hold] = []

    @property
    def current_s(self) -> float:
        """Seconds counted in the hold under way, 0 when none."""
        return self._timer.current_s

    @property
    def short_holds(self) -> list[Hold]:
        """Stays in position shorter than the spec's ``min_hold_s``."""
        return self._timer.short_holds

    def await_readiness(self, t_s: float, signals: Mapping[str, float]) -> None:
        """A frame while readiness is awaited: is the person in the posture already?"""
        if not in_any_position(self._hold.posture, signals):
            self._posture_since = math.nan
        elif math.isnan(self._posture_since):
            self._posture_since = t_s

    def ready(self, t_s: float, start_since_s: float) -> None:
        """Readiness was confirmed now, the start position held since ``start_since_s``: a hold
        starting on this frame is counted from when its posture was taken, if later."""
        self._ready_at = (t_s, max(start_since_s, self._posture_since))

    def lose(self) -> None:
        """Readiness was lost: the posture is looked for afresh."""
        self._posture_since = math.nan

    def place(self, t_s: float, signals: Mapping[str, float], judged: bool) -> Placed:
        """Is the person holding the posture on this frame (``judged``: it passed the gates)?"""
        placed = NOT_HOLDING
        if judged:
            value = signals[self._hold.signal]
            in_posture = in_any_position(self._hold.posture, signals)
            settled = self._settle.update(t_s, value if in_posture else math.nan)
            # A hold begins once the person is still in the posture, not while still moving
            # into it; once begun, it runs while they stay in it. How deep they go is theirs
            # (measured, reported), unless the clinician set a minimum for this patient.
            holding = in_posture and (self._timer.active or settled)
            target = self._hold.target
            short = target is not None and not target.contains(value)
            self._below_target = holding and short
            self._in_posture = in_posture and not short
            placed = Placed(holding, holding and not self._below_target)
        else:
            self._in_posture = False
        self._track_position(t_s, placed.in_position)
        return placed

    def _track_position(self, t_s: float, in_position: bool) -> None:
        """Remember when the hold position was last taken after a real absence from it."""
        if not in_position:
            if self._position_left_s is None:
                self._position_left_s = t_s
            return
        if self._position_left_s is None:
            return
        first_time = math.isinf(self.position_since_s)
        if first_time or t_s - self._position_left_s >= POSITION_ABSENCE_S:
            self.position_since_s = t_s
        self._position_left_s = None

    def take_back(self, since_s: float) -> None:
        """A fault that stops the clock was confirmed now, failing since ``since_s``: the clock
        ran on meanwhile (see ``HoldTimer.take_back``)."""
        self._timer.take_back(since_s)

    def time(
        self,
        t_s: float,
        placed: Placed,
        side: WorkingSide,
        signals: Mapping[str, float],
        stopped: bool,
    ) -> Hold | None:
        """Run the clock; returns the hold that ended now, if any.

        ``stopped``: a confirmed fault that stops the clock is failing. Once the position is
        corrected the clock runs again at once, not only when the correction has lasted
        min_persist_s (the cue stays until then). Rendered pelvis lifts: 0.5 s per lift was
        lost otherwise.
        """
        hold_ok = placed.in_position and not stopped
        if not (self._in_posture and not stopped):
            self._clear_since = math.nan
        elif math.isnan(self._clear_since):
            self._clear_since = t_s
        rom = signals.get(self._rom_signal, math.nan) if self._rom_signal else math.nan
        finished = self._timer.update(
            t_s,
            hold_ok,
            side,
            rom,
            fault_pause=placed.in_position and not hold_ok,
            at_rest=self._settle.at_rest,
            began_s=self._began_s(t_s),
        )
        if finished:
            self.holds.append(finished)
        return finished

    def _began_s(self, t_s: float) -> float | None:
        """When a hold starting now was in fact taken: held while readiness was being confirmed
        (the wait was in the posture too), or still since the start of the settle window (the
        person had stopped moving then; the window only confirms it), but not before a fault
        that stopped the clock, or a depth short of the clinician's target, last cleared."""
        confirmed_s, held_since_s = self._ready_at
        if t_s == confirmed_s:
            return held_since_s
        still_s, clear_s = self._settle.still_since_s, self._clear_since
        return None if math.isnan(still_s) or math.isnan(clear_s) else max(still_s, clear_s)

    def waiting(self, stopping: list[str]) -> str | None:
        """Why the clock is not running though the person holds the posture: short of the
        clinician's target, or the first of the ``stopping`` rules (confirmed faults)."""
        if self._below_target:
            return "below_target"
        return stopping[0] if stopping else None

    def close(self) -> None:
        """End of the session: the hold under way is kept if long enough."""
        hold = self._timer.close()
        if hold:
            self.holds.append(hold)
