"""When a hold's clock starts and stops with a settle gate (``hold.settle_within``): once the person
is still in the position, until the last moment they were still in it."""

from __future__ import annotations

import math

import pytest

from formcheck.engine.hold_clock import HoldClock
from formcheck.engine.holds import SettleDetector
from formcheck.specs.schema import Band, HoldSpec


def _first_settled(
    values: list[float], within: float | None, fps: float = 10.0
) -> tuple[float, float] | None:
    """(when the detector first says still, since when it has been still)."""
    detector = SettleDetector(0.5, within)
    for i, v in enumerate(values):
        if detector.update(i / fps, v):
            return i / fps, detector.still_since_s
    return None


@pytest.mark.parametrize(
    ("name", "values", "within", "expected"),
    [
        # still from the first frame in position: known after 0.5 s of it, still since 0
        ("still_at_once", [100.0] * 10, 2.0, (0.5, 0.0)),
        # still folding 4 deg a frame for 0.5 s, then resting: known 0.5 s into the rest, which
        # began when the fold stopped
        ("folding_then_resting", [80, 84, 88, 92, 96, 100] + [100] * 10, 2.0, (1.0, 0.5)),
        # jitter of 1.5 deg is still
        ("small_jitter", [100, 101.5] * 6, 2.0, (0.5, 0.0)),
        # swinging 10 deg is never still
        ("swinging", [100, 110] * 10, 2.0, None),
        # leaving the position (NaN) starts the wait again
        ("interrupted", [100] * 4 + [math.nan] + [100] * 6, 2.0, (1.0, 0.5)),
        # no settle gate: every frame in position counts at once
        ("no_gate", [80, 90, 100], None, (0.0, 0.0)),
    ],
)
def test_settle_scenarios(
    name: str, values: list[float], within: float | None, expected: tuple[float, float] | None
) -> None:
    got = _first_settled(values, within)
    assert got == (None if expected is None else pytest.approx(expected))


def _hold_span(
    values: list[float], within: float | None, fps: float = 10.0, stopped_until_s: float = -1.0
) -> tuple[float, float]:
    """(start, end) of the one hold the clock finds: the posture is 75 and up; a clock-stopping
    fault fails until ``stopped_until_s``."""
    spec = HoldSpec(signal="s", posture=[{"s": Band(min=75)}], min_hold_s=0.5, settle_within=within)
    clock = HoldClock(spec, None)
    for i, v in enumerate([*values, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]):
        t_s = i / fps
        placed = clock.place(t_s, {"s": v}, judged=True)
        clock.time(t_s, placed, "none", {"s": v}, stopped=t_s < stopped_until_s)
    [hold] = clock.holds
    return hold.start_s, hold.end_s


@pytest.mark.parametrize(
    ("name", "values", "within", "expected"),
    [
        # resting 2 s, then rising out slowly through the band (4 deg a frame): the way out is not
        # timed, the hold ends at the last frame at the resting level, the one before the rise;
        # it starts where the stillness began, not when 0.5 s of it confirmed it
        ("rising_out_slowly", [100.0] * 20 + [96, 92, 88, 84, 80, 76], 2.0, (0.0, 1.9)),
        # folding into the band (4 deg a frame), then resting: the fold is not timed
        ("folding_in", [76, 80, 84, 88, 92, 96, 100] + [100.0] * 13, 2.0, (0.6, 1.9)),
        # a hand adjusting the grip: the signal swings 3 deg around where the person rested
        # (never still for 0.5 s), then they leave: the flicker is still the hold
        ("adjusting_then_out", [100.0] * 10 + [98.5, 101.5] * 3 + [60.0], 2.0, (0.0, 1.5)),
        # a shift in the middle of the hold that comes back: the hold runs on to the end
        ("shift_and_back", [100.0] * 10 + [90, 85, 90] + [100.0] * 10, 2.0, (0.0, 2.2)),
        # without a settle gate the whole stay in the band is the hold
        ("no_gate", [100.0] * 20 + [96, 92, 88, 84, 80, 76], None, (0.0, 2.5)),
    ],
)
def test_hold_ends_at_the_last_still_moment(
    name: str, values: list[float], within: float | None, expected: tuple[float, float]
) -> None:
    assert _hold_span(values, within) == pytest.approx(expected)


def test_the_start_is_not_taken_back_past_a_fault_that_stopped_the_clock() -> None:
    # Scenario: still in the stretch from the start, but a clock-stopping fault (the pelvis up)
    # fails for the first second: the hold starts when it clears, not where the stillness began.
    assert _hold_span([100.0] * 20, 2.0, stopped_until_s=1.0) == pytest.approx((1.0, 1.9))


@pytest.mark.parametrize("fps", [10.0, 15.0, 24.0, 30.0, 60.0])
def test_resting_is_still_on_every_frame_at_any_frame_rate(fps: float) -> None:
    # a low-light webcam at 15 fps: frames 67 ms apart must not make a resting person flicker
    # between still and not (the hold would end at the first "not still" frame)
    detector = SettleDetector(0.5, 2.0)
    verdicts = [detector.update(i / fps, 100.0) for i in range(int(3 * fps))]
    first = verdicts.index(True)
    assert 0.45 - 1e-9 <= first / fps <= 0.5 + 1 / fps
    assert all(verdicts[first:])
