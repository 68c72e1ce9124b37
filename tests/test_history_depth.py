"""A hold's depth from the hold clock to the history: the median and the best of the spec's
range-of-motion signal over the hold (the best is the highest or the lowest as ``rom.better``
says), in the result JSON and its schema, and back from the store on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest

from formcheck.engine.holds import Hold, HoldTimer
from formcheck.engine.session import SessionResult
from formcheck.history.from_result import SessionContext, check_result
from formcheck.history.store import HistoryStore
from formcheck.results import RunInfo, to_dict
from formcheck.specs.schema import Band, HoldSpec
from tests.support.history import BASE_TIME

FPS = 15.0
SPEC = HoldSpec(signal="x", posture=[{"x": Band(min=0)}], min_hold_s=2.0, max_break_s=0.6)

HOLD_DEPTHS = [
    # (scenario, rom_better, depth over the hold in stages (seconds, value), median, best)
    ("easing deeper, higher is better: best is the deepest", "higher",
     [(2.0, 90.0), (2.0, 96.0), (1.0, 99.0)], 96.0, 99.0),
    ("lower is better (knees toward the floor): best is the lowest", "lower",
     [(2.0, 0.50), (2.0, 0.44), (1.0, 0.41)], 0.44, 0.41),
    ("one bad reading in a steady hold: the best is what was measured", "higher",
     [(2.0, 80.0), (0.2, math.nan), (2.0, 80.0)], 80.0, 80.0),
    ("no depth measured at all: neither", "higher", [(3.0, math.nan)], None, None),
]  # fmt: skip


def held(rom_better: str, stages: list[tuple[float, float]]) -> list[Hold]:
    """Feed one hold (in position throughout), then step out; the holds the timer ended."""
    timer = HoldTimer(SPEC, rom_better)
    out: list[Hold] = []
    t = 0.0
    for seconds, value in stages:
        for _ in range(round(seconds * FPS)):
            t += 1 / FPS
            if (h := timer.update(t, True, "left", value)) is not None:
                out.append(h)
    for _ in range(round(FPS)):
        t += 1 / FPS
        if (h := timer.update(t, False, "left")) is not None:
            out.append(h)
    return out


def finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


@pytest.mark.parametrize(
    ("better", "stages", "median", "best"),
    [pytest.param(*row[1:], id=row[0]) for row in HOLD_DEPTHS],
)
def test_a_hold_has_its_median_and_best_depth(
    better: str, stages: list[tuple[float, float]], median: float | None, best: float | None
) -> None:
    (hold,) = held(better, stages)
    assert finite_or_none(hold.rom) == (None if median is None else pytest.approx(median))
    assert finite_or_none(hold.rom_best) == (None if best is None else pytest.approx(best))


def test_the_best_does_not_change_the_clock() -> None:
    # Scenario: the same frames timed with either direction of "better" give the same hold.
    stages = [(2.0, 90.0), (0.3, math.nan), (3.0, 96.0)]
    higher, lower = held("higher", stages), held("lower", stages)
    assert [(h.start_s, h.end_s, h.duration_s, h.rom) for h in higher] == [
        (h.start_s, h.end_s, h.duration_s, h.rom) for h in lower
    ]
    assert (higher[0].rom_best, lower[0].rom_best) == (96.0, 90.0)


def test_the_best_depth_goes_through_the_json_and_the_history(db_url: str) -> None:
    holds = [
        Hold(2.0, 22.0, 20.0, "left", 101.234, 105.678),
        Hold(30.0, 50.0, 20.0, "right", 90.0),  # a best never measured
    ]
    result = SessionResult(
        "hip_flexor_kneeling_stretch", [], holds, [], 900, 900, 900, "side", "left",
        short_holds=[Hold(55.0, 56.0, 1.0, "right", 70.0, 72.5)],
        rom_signal="thigh_opening_deg", rom_better="higher", rom_same_within=5.0,
    )  # fmt: skip
    data = to_dict(result, RunInfo("clip.mp4", 60.0, 1.0, "replay"))
    check_result(data)  # the schema knows the field
    assert [h["rom_best"] for h in data["holds"]] == [105.68, None]
    assert [h["rom_best"] for h in data["short_holds"]] == [72.5]
    context = SessionContext("cli", BASE_TIME, BASE_TIME + timedelta(minutes=1), "v")
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna")
        stored = store.session(store.save_session(anna.id, data, context))
    assert [(h.rom, h.rom_best, h.counted) for h in stored.holds] == [
        (101.23, 105.68, True), (90.0, None, True), (70.0, 72.5, False),
    ]  # fmt: skip


def test_a_result_written_before_the_best_still_saves(tmp_path: Path) -> None:
    # Scenario: a result JSON without rom_best (an older formcheck's) is still a valid result.
    result = SessionResult(
        "hip_flexor_kneeling_stretch", [], [Hold(2.0, 22.0, 20.0, "left", 100.0, 104.0)], [],
        900, 900, 900, "side", "left",
        rom_signal="thigh_opening_deg", rom_better="higher",
    )  # fmt: skip
    data = to_dict(result, RunInfo("clip.mp4", 60.0, 1.0, "replay"))
    del data["holds"][0]["rom_best"]
    check_result(data)
    context = SessionContext("cli", BASE_TIME, BASE_TIME + timedelta(minutes=1), "v")
    with HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}") as store:
        anna = store.add_patient("Anna")
        (hold,) = store.session(store.save_session(anna.id, data, context)).holds
    assert (hold.rom, hold.rom_best) == (100.0, None)
