"""Stored sessions made of real results: a sample result and context for every number, and a
writer that saves them as its own process."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from formcheck.engine.holds import Hold
from formcheck.engine.rules import Fault
from formcheck.engine.session import RepEvent, SessionResult
from formcheck.history.from_result import SessionContext
from formcheck.history.store import HistoryStore
from formcheck.results import RunInfo, to_dict

BASE_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def sample_result(i: int, pain: bool = False) -> dict[str, Any]:
    """A real result dict (the engine's types through ``to_dict``), different for every ``i``:
    1-4 reps, some faulty, one measure missing, holds per side and a short hold."""
    reps = [
        RepEvent(
            index=j,
            start_s=4.0 * j,
            end_s=4.0 * j + 2.5,
            peak_value=70.0 + i % 9 + j,
            faults=("neutral_spine",) if (i + j) % 3 == 0 else (),
            side="left" if j % 2 else "right",
            rom=70.0 + i % 9 + j,
            tempo_s=2.5 if j > 1 else math.nan,
            measures={"back_bend_deg": i + j / 10, "knee_flexion_deg": math.nan if j == 1 else j},
        )
        for j in range(1, i % 4 + 2)
    ]
    faults = [
        Fault("neutral_spine", r.start_s + 0.5, r.start_s + 1.25, "error", "Keep your back flat")
        for r in reps
        if r.faults
    ]
    holds = [
        Hold(20.0, 32.0 + i % 5, 12.0 + i % 5, "left", 60.0, 64.5 + i % 3),
        Hold(40.0, 50.0, 9.5, "right"),  # no range of motion measured
    ]
    result = SessionResult(
        "hip_hinge", reps, holds, faults, 300, 290, 270, "side", "left",
        short_holds=[Hold(55.0, 56.0, 1.0, "right", 48.0, 51.25)],
        rom_signal="hip_flexion_deg", rom_better="higher", rom_same_within=5.0,
        rules_unchecked={"knee_wobble": 0.25},
    )  # fmt: skip
    return to_dict(result, RunInfo(f"set-{i}.mp4", 60.0, 2.0, "replay"), stopped_for_pain=pain)


def sample_context(i: int, **overrides: Any) -> SessionContext:
    """A practice set a minute long, ``i`` hours after :data:`BASE_TIME`; ``overrides`` win."""
    start = BASE_TIME + timedelta(hours=i)
    values: dict[str, Any] = {
        "program": "low_back_starter",
        "set_index": i % 3 + 1,
        "sets_prescribed": 3,
        "reps_prescribed": 10,
    }
    values.update(overrides)
    return SessionContext("practice", start, start + timedelta(seconds=60), "abc123", **values)


def writer_main(argv: list[str]) -> None:
    """Run as its own process: add a patient, then save sets ``start``.. one by one, printing
    "<session id> <i>" after each commit."""
    url, name, start, count = argv[0], argv[1], int(argv[2]), int(argv[3])
    with HistoryStore(url) as s:
        patient = s.add_patient(name)
        for i in range(start, start + count):
            session_id = s.save_session(patient.id, sample_result(i), sample_context(i))
            print(session_id, i, flush=True)
