"""Rules due but not judged: the camera's view cannot judge them, or their signal is unmeasured.

Counted per rule for the result (the share of the frames it was due that went unjudged), and told
to the person as it happens: a rule the view cannot judge at once (turning fixes it), a rule whose
signal has not been measurable for ``UNMEASURED_HINT_S`` (the back's outline not traced) after
that long, since a pass would be silent otherwise.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from formcheck.specs.schema import Phase, Rule, SeenView

# A rule whose signal cannot be measured for this long (not a dropped frame or two) is said to
# be unchecked, so the person knows the check is not happening.
UNMEASURED_HINT_S = 1.0


@dataclass(frozen=True)
class Unchecked:
    """The rules due on one frame that are not being judged, and why."""

    by_view: list[str] = field(default_factory=list)  # this camera view cannot judge them
    unmeasured: list[str] = field(default_factory=list)  # unmeasurable for UNMEASURED_HINT_S


class UncheckedRules:
    """Counts, for each rule, the judged frames it was due and those it went unjudged.

    Args:
        rules: The spec's rules.
    """

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = rules
        self._due: Counter[str] = Counter()
        self._unchecked: Counter[str] = Counter()
        self._unmeasured_since: dict[str, float] = {}  # rule -> since when it is unmeasurable

    def update(
        self, t_s: float, phase: Phase | None, view: SeenView, signals: Mapping[str, float]
    ) -> Unchecked:
        """Feed one judged frame; returns the rules due now that are not being judged."""
        by_view = []
        for rule in self._rules:
            unmeasured = False
            if phase in rule.phases:
                self._due[rule.id] += 1
                if view not in rule.views:
                    self._unchecked[rule.id] += 1
                    by_view.append(rule.id)
                elif math.isnan(signals.get(rule.signal, math.nan)):
                    self._unchecked[rule.id] += 1
                    unmeasured = True
            if not unmeasured:
                self._unmeasured_since.pop(rule.id, None)
            else:
                self._unmeasured_since.setdefault(rule.id, t_s)
        long_unmeasured = [
            r for r, since in self._unmeasured_since.items() if t_s - since >= UNMEASURED_HINT_S
        ]
        return Unchecked(by_view, long_unmeasured)

    def shares(self) -> dict[str, float]:
        """Per rule left unjudged at least once: the share of its due frames left unjudged."""
        return {rule: n / self._due[rule] for rule, n in self._unchecked.items()}
