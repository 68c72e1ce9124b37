"""What the store hands back: plain frozen values, usable after the database session is gone.

The progress page and the clinician report read these; they never see ORM objects, so a page can
keep them across reruns and a report can be built without a database connection open. A session's
reps, holds and faults are the result model's own (:mod:`formcheck.result_model`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from formcheck.result_model import Fault, Hold, Rep


@dataclass(frozen=True)
class Patient:
    """A patient as the history knows them: an id and a name."""

    id: int
    name: str
    created_at: datetime  # UTC


# A stored rep or fault is the result's (formcheck.result_model), read back from its row.
StoredRep = Rep
StoredFault = Fault


class StoredHold(Hold):
    """A stored hold: the result's hold, and whether it counted."""

    counted: bool  # False: shorter than the spec's minimum hold (the result's short_holds)


@dataclass(frozen=True)
class StoredSession:
    """One completed set or analysed clip with everything recorded about it."""

    id: int
    patient_id: int
    patient_name: str
    exercise: str
    spec_version: str
    program: str | None
    set_index: int | None
    sets_prescribed: int | None
    source: str  # practice | review | cli
    clip: str | None
    started_at: datetime  # UTC
    ended_at: datetime  # UTC
    duration_s: float
    app_version: str
    view: str
    side: str
    frames: int
    frames_with_pose: int
    reps_good: int
    reps_faulty: int
    reps_prescribed: int | None  # per set
    hold_target_s: float | None  # per hold, each side
    cannot_judge_share: float  # 0..1
    stopped_for_pain: bool
    recording_path: str | None
    rom_signal: str | None
    rom_better: str | None  # "higher" or "lower" is better
    rules_not_checked: dict[str, float]
    not_counted: tuple[dict[str, Any], ...]
    reps: tuple[StoredRep, ...]
    holds: tuple[StoredHold, ...]
    faults: tuple[StoredFault, ...]

    @property
    def reps_done(self) -> int:
        """Reps done in the session, good and faulty."""
        return self.reps_good + self.reps_faulty

    def best_hold_s(self) -> dict[str, float]:
        """Longest counted hold per side (the figure compared with ``hold_target_s``)."""
        best: dict[str, float] = {}
        for h in self.holds:
            if h.counted:
                best[h.side] = max(best.get(h.side, 0.0), h.duration_s)
        return best

    def fault_counts(self) -> Counter[str]:
        """How many times each rule was broken in this session."""
        return Counter(f.rule for f in self.faults)
