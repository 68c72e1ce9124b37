"""The rep under way: what is gathered about one rep, from its first frame to the one that ends it.

A rep in progress is begun afresh on every frame the rep counter spends in its start phase, so the
rep that follows begins with the last such frame: the faults under way then are its own. Outside
the start phase it gathers the rules that fail (``throughout`` and ``steady``), how far it got
toward each ``reached`` rule's band, the furthest value of the spec's range-of-motion signal and
the largest held value of each reported signal; :meth:`RepInProgress.close` turns all that into a
:class:`RepEvent` with the rep's faults.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from formcheck.engine.reps import Rep
from formcheck.engine.rules import Fault, ReachTracker
from formcheck.specs.schema import TOO_FAST, ExerciseSpec, SeenView, WorkingSide

# What is reported with a rep is the largest value held this long (a frame or two of a
# mis-traced outline is not how much the back bent); the back rule judges the same 0.3 s.
REPORT_HELD_S = 0.3


@dataclass(frozen=True)
class RepEvent:
    """One counted rep: when, how far, which rules it broke, its tempo and measures."""

    index: int
    start_s: float
    end_s: float
    peak_value: float
    faults: tuple[str, ...]
    side: WorkingSide = "none"
    rom: float = math.nan  # furthest value of the spec's range-of-motion signal in the rep
    # Start of the movement to back in the start band; NaN when the rep began before it was
    # seen (the person started at the rep's end, e.g. set up over the bar).
    tempo_s: float = math.nan
    # The largest value in the rep of each signal the spec reports (``reps.report``); NaN when
    # it could not be measured.
    measures: Mapping[str, float] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """From leaving the start band to being back in it."""
        return self.end_s - self.start_s

    @property
    def good(self) -> bool:
        """No rule broken in the rep."""
        return not self.faults


class RepInProgress:
    """What is known so far of the rep under way.

    Args:
        spec: The exercise (its ``reached`` rules, ``rom``, ``reps.report`` and ``min_rep_s``).
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self._spec = spec
        self._faults: set[str] = set()  # rules that failed during the rep
        self._reach = [ReachTracker(r) for r in spec.rules if r.check == "reached"]
        self._rom_best = math.nan
        self._measures: dict[str, float] = {}  # largest held value so far of each reported one
        self._windows: dict[str, deque[tuple[float, float]]] = {}

    def note_faults(self, rule_ids: Iterable[str]) -> None:
        """These rules are failing now (confirmed faults under way)."""
        self._faults.update(rule_ids)

    def forget_faults(self) -> None:
        """Readiness was lost: the faults so far are dropped (the rest is kept for a rep resumed
        in its end position)."""
        self._faults.clear()

    def track_reach(self, view: SeenView, signals: Mapping[str, float]) -> None:
        """How close each ``reached`` rule judged in this view came to its band."""
        for tracker in self._reach:
            if view in tracker.rule.views:
                tracker.update(signals.get(tracker.rule.signal, math.nan))

    def track(self, t_s: float, signals: Mapping[str, float]) -> None:
        """The furthest range of motion, and the largest value of each reported signal held
        for ``REPORT_HELD_S``."""
        self._track_rom(signals)
        for name in self._spec.reps.report if self._spec.reps else []:
            self._track_measure(name, t_s, signals.get(name, math.nan))

    def _track_rom(self, signals: Mapping[str, float]) -> None:
        rom = self._spec.rom
        value = signals.get(rom.signal, math.nan) if rom else math.nan
        if math.isnan(value) or rom is None:
            return
        higher = rom.better == "higher"
        if math.isnan(self._rom_best) or (value > self._rom_best) == higher:
            self._rom_best = value

    def _track_measure(self, name: str, t_s: float, value: float) -> None:
        if math.isnan(value):
            return
        window = self._windows.setdefault(name, deque())
        window.append((t_s, value))
        while t_s - window[0][0] > REPORT_HELD_S:
            window.popleft()
        if t_s - window[0][0] < REPORT_HELD_S * 0.8:  # frame spacing leaves a gap
            return
        held = min(v for _, v in window)
        best = self._measures.get(name, math.nan)
        if math.isnan(best) or held > best:
            self._measures[name] = held

    def close(
        self, rep: Rep, index: int, side: WorkingSide, judged: bool
    ) -> tuple[RepEvent, list[Fault]]:
        """The finished rep as the ``index``-th of the set, with every rule it broke; and the
        faults only a whole rep shows (too fast, a band never reached).

        Args:
            rep: The rep as the counter completed it.
            index: Its number in the set, from 1.
            side: The side worked.
            judged: Whether its movement was seen from its start: if not, neither its tempo nor
                how far it went is judged.
        """
        faults = set(self._faults)
        found: list[Fault] = []
        reps = self._spec.reps
        tempo_s = rep.tempo_s if judged else math.nan
        if reps and reps.min_rep_s is not None and tempo_s < reps.min_rep_s:
            faults.add(TOO_FAST)
            found.append(Fault(TOO_FAST, rep.start_s, rep.end_s, "warning", reps.too_fast_message))
        for tracker in self._reach:
            rule = tracker.rule
            if not tracker.passed_and_reset() and judged:
                faults.add(rule.id)
                found.append(Fault(rule.id, rep.start_s, rep.end_s, rule.severity, rule.message))
        event = RepEvent(
            index,
            rep.start_s,
            rep.end_s,
            rep.peak_value,
            tuple(sorted(faults)),
            side,
            self._rom_best,
            tempo_s,
            {n: self._measures.get(n, math.nan) for n in reps.report} if reps else {},
        )
        return event, found
