"""When a hold's clock starts: once the person is still in the position (``hold.settle_within``)."""

from __future__ import annotations

import math

import pytest

from formcheck.engine.holds import SettleDetector


def _first_settled(values: list[float], within: float | None, fps: float = 10.0) -> float | None:
    detector = SettleDetector(0.5, within)
    for i, v in enumerate(values):
        if detector.update(i / fps, v):
            return i / fps
    return None


@pytest.mark.parametrize(
    ("name", "values", "within", "expected"),
    [
        # still from the first frame in position: settled after 0.5 s of it
        ("still_at_once", [100.0] * 10, 2.0, 0.5),
        # still folding 4 deg a frame for 0.5 s, then resting: settled 0.5 s into the rest
        ("folding_then_resting", [80, 84, 88, 92, 96, 100] + [100] * 10, 2.0, 1.0),
        # jitter of 1.5 deg is still
        ("small_jitter", [100, 101.5] * 6, 2.0, 0.5),
        # swinging 10 deg is never still
        ("swinging", [100, 110] * 10, 2.0, None),
        # leaving the position (NaN) starts the wait again
        ("interrupted", [100] * 4 + [math.nan] + [100] * 6, 2.0, 1.0),
        # no settle gate: every frame in position counts at once
        ("no_gate", [80, 90, 100], None, 0.0),
    ],
)
def test_settle_scenarios(
    name: str, values: list[float], within: float | None, expected: float | None
) -> None:
    got = _first_settled(values, within)
    assert got == (None if expected is None else pytest.approx(expected))
