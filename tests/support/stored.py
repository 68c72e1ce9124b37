"""Stored sessions made by hand (no database, no engine): exactly the holds and reps a trend
test needs, on chosen local days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from formcheck.history.records import StoredHold, StoredRep, StoredSession
from formcheck.specs.loader import load_spec

DAY_0 = date(2026, 11, 2)  # a Monday
STRETCH = "hip_flexor_kneeling_stretch"  # thigh_opening_deg, higher is better, even within 5


def local(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A local time ``day`` days after :data:`DAY_0`, as the store hands it back (aware)."""
    return datetime.combine(DAY_0 + timedelta(days=day), datetime.min.time()).replace(
        hour=hour, minute=minute
    ).astimezone()  # fmt: skip


def hold(
    side: str,
    rom: float | None,
    best: float | None = None,
    held_s: float = 20.0,
    counted: bool = True,
) -> StoredHold:
    return StoredHold(
        side=side, start_s=1.0, end_s=1.0 + held_s, duration_s=held_s, rom=rom, counted=counted,
        rom_best=best,
    )  # fmt: skip


def stored(
    started_at: datetime,
    holds: tuple[StoredHold, ...] | list[StoredHold] = (),
    exercise: str = STRETCH,
    reps: tuple[StoredRep, ...] = (),
    session_id: int = 1,
    pain: bool = False,
) -> StoredSession:
    """A saved session with just what the trends read."""
    spec = load_spec(exercise)
    return StoredSession(
        id=session_id, patient_id=1, patient_name="Anna", exercise=exercise, spec_version="x",
        program=None, set_index=None, sets_prescribed=None, source="practice", clip=None,
        started_at=started_at, ended_at=started_at + timedelta(minutes=1), duration_s=60.0,
        app_version="test", view="side", side="left", frames=600, frames_with_pose=600,
        reps_good=sum(r.good for r in reps), reps_faulty=sum(not r.good for r in reps),
        reps_prescribed=10 if reps else None, hold_target_s=None if reps else 30.0,
        cannot_judge_share=0.0, stopped_for_pain=pain, recording_path=None,
        rom_signal=spec.rom.signal if spec.rom else None,
        rom_better=spec.rom.better if spec.rom else None, rules_not_checked={},
        not_counted=(), reps=reps, holds=tuple(holds), faults=(),
    )  # fmt: skip


def rep(index: int, good: bool) -> StoredRep:
    return StoredRep(
        index=index, side="left", start_s=4.0 * index, end_s=4.0 * index + 2, tempo_s=2.0,
        peak=90.0, rom=90.0, faults=[] if good else ["depth"],
    )  # fmt: skip


def stretch_days(days: list[int]) -> list[StoredSession]:
    """Two-sided stretches, the right side 12 deg short of the left, deeper every session."""
    return [
        stored(
            local(d, 8 + k % 3 * 4),
            [hold("left", 100.0 + k, 104.0 + k, 15.0 + k), hold("right", 88.0 + k, 91.0 + k)],
            session_id=k + 1,
            pain=k == 1,
        )
        for k, d in enumerate(days)
    ]


def rep_days(days: list[int], exercise: str = "knee_to_chest") -> list[StoredSession]:
    """Sets of a rep exercise, some reps faulty."""
    return [
        stored(local(d, 9 + k % 3 * 4), exercise=exercise, session_id=k + 1,
               reps=tuple(rep(j, good=(j + k) % 3 > 0) for j in range(1, 4 + k % 3)))
        for k, d in enumerate(days)
    ]  # fmt: skip
