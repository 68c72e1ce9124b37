"""Where the patient is in their prescription: which set, how many reps in it, which hold.

Pure arithmetic on the spec's prescription and the engine's counts, shared by the live panel and
the session summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from formcheck.specs.schema import Prescription


@dataclass(frozen=True)
class SetProgress:
    """Progress through prescribed sets of reps.

    Attributes:
        set_index: The set under way, 1-based (the last set once everything is done).
        sets: Prescribed number of sets.
        done_in_set: Reps done in the set under way.
        per_set: Prescribed reps per set.
        complete: Every prescribed rep has been done.
    """

    set_index: int
    sets: int
    done_in_set: int
    per_set: int
    complete: bool

    @property
    def label(self) -> str:
        """Short text for a metric, e.g. ``"2 of 3"``."""
        return f"{self.set_index} of {self.sets}"

    @property
    def detail(self) -> str:
        """One line for a caption, e.g. ``"4 of 10 reps in this set"``."""
        if self.complete:
            return "All prescribed sets done - well done."
        return f"{self.done_in_set} of {self.per_set} reps in this set"


def rep_sets(prescription: Prescription, rep_count: int) -> SetProgress | None:
    """Progress through the sets, or ``None`` when the prescription gives no reps per set.

    Args:
        prescription: The exercise's prescription.
        rep_count: Reps counted so far in this session (good and faulty alike: a faulty rep is
            still a rep done, the feedback is about how).
    """
    if not prescription.reps:
        return None
    per_set = prescription.reps
    sets = prescription.sets or 1
    total = per_set * sets
    if rep_count >= total:
        return SetProgress(sets, sets, per_set, per_set, True)
    index = rep_count // per_set + 1
    return SetProgress(index, sets, rep_count - (index - 1) * per_set, per_set, False)


def holds_by_side(sides: Iterable[str]) -> dict[str, int]:
    """Count finished holds per side, e.g. ``{"left": 2, "right": 1}``."""
    return dict(Counter(sides))


def hold_round_text(prescription: Prescription, done: dict[str, int]) -> str:
    """Which prescribed hold comes next, in words.

    Args:
        prescription: The exercise's prescription (``repeats`` holds, per side if ``both_sides``).
        done: Finished holds per side, as from :func:`holds_by_side`.
    """
    repeats = prescription.repeats or 1
    if prescription.both_sides:
        parts = [
            f"{side} {min(done.get(side, 0), repeats)} of {repeats}" for side in ("left", "right")
        ]
        return "Holds done: " + ", ".join(parts)
    total = sum(done.values())
    return f"Holds done: {min(total, repeats)} of {repeats}"
