"""The set's reps: counted, cross-checked, and each closed into a :class:`RepEvent`.

:class:`RepTally` drives the band state machine (:class:`~formcheck.engine.reps.RepCounter`) on
the spec's rep signal, keeps the rep under way (:class:`RepInProgress`), asks the spec's
cross-check (``reps.confirm``) whether a finished movement was a rep, and keeps what was counted,
what was not and why, and the faults only a whole rep shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from formcheck.engine.readiness import in_any_position
from formcheck.engine.rep_in_progress import RepEvent, RepInProgress
from formcheck.engine.reps import Rep, RepCounter
from formcheck.engine.rules import Fault, StartBaseline
from formcheck.specs.schema import TOO_FAST, ExerciseSpec, Phase, RepConfirm, SeenView, WorkingSide

# A rushed rep keeps its "slow down" cue active this long after it ends, so the cue can be heard.
TEMPO_CUE_S = 3.0
# A rep whose movement began less than this after the body jumped (another person followed, a cut
# in the video) may have been under way before its first frame: its tempo and depth are not judged.
JUMP_GRACE_S = 0.5


@dataclass(frozen=True)
class NotCounted:
    """A movement through the rep's bands that is not a rep, and why (shown in the reps table)."""

    start_s: float
    end_s: float
    reason: str


class CrossCheck:
    """The spec's ``reps.confirm``: a second signal that must agree a movement was a rep.

    It keeps the cross-check signal's value at the frame the rep signal last peaked, and its
    value then in the person's start position (a median frozen during reps).
    """

    def __init__(self, confirm: RepConfirm) -> None:
        self._confirm = confirm
        self.reason = confirm.reason  # why a movement it rejects is not a rep
        self._at_peak = math.nan
        self._start = StartBaseline()
        self._start_value = math.nan

    def note(self, t_s: float, signals: Mapping[str, float], in_start: bool, peak: bool) -> None:
        """Feed one frame; ``peak``: the rep signal reached its furthest value on it."""
        value = signals.get(self._confirm.signal, math.nan)
        start = self._start.update(t_s, value, in_start)
        if peak:
            self._at_peak, self._start_value = value, start

    def agrees(self) -> bool:
        """Was the movement that just finished a rep? Unknown (not measured) counts as yes."""
        confirm = self._confirm
        value, self._at_peak = self._at_peak, math.nan
        if math.isnan(value):
            return True
        rise = value - self._start_value
        ok_peak = confirm.at_peak is None or confirm.at_peak.contains(value)
        # Without a start position seen (a rep begun at its end) the rise is not judged.
        ok_rise = confirm.rise_from_start is None or math.isnan(rise)
        ok_rise = ok_rise or confirm.rise_from_start.contains(rise)  # type: ignore[union-attr]
        return ok_peak and ok_rise


class RepTally:
    """Counts and closes the reps of one spec (which must have a ``reps`` section).

    Args:
        spec: The exercise.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        if spec.reps is None:
            raise ValueError(f"{spec.id}: a rep tally needs the spec's 'reps' section")
        self._spec = spec
        self._reps = spec.reps
        self._counter = RepCounter(spec.reps)
        self._check = CrossCheck(spec.reps.confirm) if spec.reps.confirm else None
        self._rep = RepInProgress(spec)
        # The rep under way began before it was seen (readiness confirmed in its end position).
        self._began_unseen = False
        self._jump_s = -math.inf  # when the body last jumped (another person, a cut)
        self._too_fast_until = -math.inf
        self.events: list[RepEvent] = []
        self.not_counted: list[NotCounted] = []
        self.faults: list[Fault] = []  # faults only a whole rep shows (too fast, not reached)

    @property
    def phase(self) -> Phase:
        """The rep counter's phase: ``start``, ``outward``, ``end`` or ``return``."""
        return self._counter.phase

    def begin(self, t_s: float, signals: Mapping[str, float], in_end: bool) -> None:
        """Readiness was just confirmed: count afresh from now (``in_end``: in an end position)."""
        self._counter.reset(t_s, signals[self._reps.signal], in_end=in_end)
        self._note_check(t_s, signals)
        # Begun at the rep's end (on the box, over the bar): its first rep was not seen going
        # down, so neither how far it went nor its tempo is judged.
        self._began_unseen = self._counter.phase == "end"

    def lose(self) -> None:
        """Readiness was lost: the rep under way is dropped from the counter."""
        self._counter.reset(math.nan, math.nan)
        self._rep.forget_faults()

    def jumped(self, t_s: float) -> None:
        """The body jumped now: a rep under way was not seen from its start."""
        self._jump_s = t_s

    def count(
        self, t_s: float, signals: Mapping[str, float], view: SeenView, side: WorkingSide
    ) -> RepEvent | None:
        """Feed one judged frame; returns the rep it completed, if any."""
        resting = in_any_position(self._spec.ready.positions, signals)
        rep = self._counter.update(t_s, signals[self._reps.signal], resting)
        self._note_check(t_s, signals)
        if rep is not None:
            return self._close(rep, side)
        if self._counter.phase == "start":
            self._rep = RepInProgress(self._spec)  # begun afresh while in the start position
        else:
            self._rep.track_reach(view, signals)
        return None

    def track(self, t_s: float, signals: Mapping[str, float]) -> None:
        """Gather the rep under way's range and measures (outside the start phase)."""
        self._rep.track(t_s, signals)

    def note_faults(self, rule_ids: Iterable[str]) -> None:
        """These rules are failing now: the rep under way broke them."""
        self._rep.note_faults(rule_ids)

    def too_fast_cue(self, t_s: float) -> bool:
        """Is the "slow down" cue of a rushed rep still due?"""
        return t_s < self._too_fast_until

    def finish(self, last_raw: Mapping[str, float], side: WorkingSide) -> None:
        """End of the recording: a rep on its way back is complete (see ``RepCounter.finish``)."""
        rep = self._counter.finish(last_raw.get(self._reps.signal, math.nan))
        if rep is not None:
            self._close(rep, side)

    def _note_check(self, t_s: float, signals: Mapping[str, float]) -> None:
        if self._check is not None:
            in_start, peak = self._counter.phase == "start", self._counter.peak_s == t_s
            self._check.note(t_s, signals, in_start, peak)

    def _close(self, rep: Rep, side: WorkingSide) -> RepEvent | None:
        """Close the rep under way (None when the cross-check says it was not a rep)."""
        began_unseen, self._began_unseen = self._began_unseen, False
        closing, self._rep = self._rep, RepInProgress(self._spec)
        if self._check is not None and not self._check.agrees():
            self.not_counted.append(NotCounted(rep.start_s, rep.end_s, self._check.reason))
            return None
        # Begun before it was seen (at the rep's end, or before the body jumped: another person
        # followed, a cut in the video), or its movement never seen (the signal leapt from the
        # start band into the end band between two frames: a misread pose): neither its depth nor
        # its tempo is known.
        unjudged = began_unseen or rep.leapt or self._jump_s >= rep.began_s - JUMP_GRACE_S
        event, faults = closing.close(rep, len(self.events) + 1, side, judged=not unjudged)
        if TOO_FAST in event.faults:
            self._too_fast_until = rep.end_s + TEMPO_CUE_S
        self.faults.extend(faults)
        self.events.append(event)
        return event
