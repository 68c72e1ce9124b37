"""Plain-language descriptions of an exercise spec for the Exercise library page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from formcheck.specs.schema import ExerciseSpec, Prescription
from formcheck.types import SEVERITY_RANK, Severity, View

SEVERITY_WORDS: dict[Severity, str] = {
    "error": "Important",
    "warning": "Watch out",
    "info": "Tip",
}

VIEW_WORDS: dict[View, str] = {
    "side": "side-on",
    "front": "facing the camera",
    "diagonal": "at an angle (diagonal)",
}


def _seconds(value: float) -> str:
    return f"{value:g} s"


def prescription_lines(p: Prescription, kind: str) -> list[str]:
    """The prescription as short sentences, most important first.

    Args:
        p: The prescription.
        kind: ``"reps"`` or ``"hold"`` (a hold exercise speaks of holds, not reps).

    Returns:
        One sentence per item the prescription gives; empty items are left out.
    """
    lines: list[str] = []
    if kind == "reps" and p.reps:
        sets = f"{p.sets} sets of " if p.sets else ""
        lines.append(f"{sets}{p.reps} repetitions.")
    elif p.sets and p.reps:
        lines.append(f"{p.sets} sets of {p.reps}.")
    if p.hold_s:
        upto = f" (up to {_seconds(p.hold_max_s)})" if p.hold_max_s else ""
        lines.append(f"Hold for {_seconds(p.hold_s)}{upto}.")
    if p.repeats:
        times = "once" if p.repeats == 1 else f"{p.repeats} times"
        each = " on each side" if p.both_sides else ""
        lines.append(f"Do it {times}{each}.")
    elif p.both_sides:
        lines.append("Do both sides.")
    if p.per_day:
        lines.append("Once a day." if p.per_day == 1 else f"{p.per_day} times a day.")
    if p.rest_s:
        lines.append(f"Rest {_seconds(p.rest_s)} between sets or holds.")
    return lines


def views_text(views: Sequence[View]) -> str:
    """``["side", "front"]`` -> ``"side-on or facing the camera"``."""
    words = [VIEW_WORDS.get(v, v) for v in views]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


@dataclass(frozen=True)
class Check:
    """One thing the app checks, as the library lists it.

    Attributes:
        rule_id: The spec's rule id (reports refer to it).
        level: Severity in words (``Important``, ``Watch out``, ``Tip``).
        message: What the patient is told when it goes wrong.
        views: The camera views in which it can be checked, in words.
    """

    rule_id: str
    level: str
    message: str
    views: str


def checks(spec: ExerciseSpec) -> list[Check]:
    """Every rule of ``spec``, most severe first, in the words the page shows."""
    rules = sorted(spec.rules, key=lambda r: SEVERITY_RANK[r.severity])
    return [
        Check(r.id, SEVERITY_WORDS.get(r.severity, r.severity), r.message, views_text(r.views))
        for r in rules
    ]


def counting_text(spec: ExerciseSpec) -> str:
    """What the app counts for this exercise, in one sentence."""
    if spec.kind == "reps":
        return "The app counts your repetitions and tells good ones from ones that need work."
    return "The app times how long you hold the position and counts your holds."


def not_checked_lines(spec: ExerciseSpec) -> list[str]:
    """What the camera cannot judge in this exercise, for the person to watch themselves: the
    guided timer's reason and the spec's ``not_checked`` sentences."""
    lines = []
    if spec.guided and spec.hold is not None and spec.hold.guided_reason:
        lines.append(" ".join(spec.hold.guided_reason.split()))
    return lines + list(spec.not_checked)
