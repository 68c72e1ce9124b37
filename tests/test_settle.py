"""When a hold's clock starts and stops with a settle gate (``hold.settle_within``): once the person
is still in the position, until the last moment they were still in it."""

from __future__ import annotations

import math

import pytest

from formcheck.engine.holds import HoldTimer, SettleDetector
from formcheck.specs.schema import Band, HoldSpec


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


def _hold_span(values: list[float], within: float | None, fps: float = 10.0) -> tuple[float, float]:
    """(start, end) of the one hold found, fed as the session feeds the timer: the band is 75 and
    up (the posture), the clock starts once settled and runs while in it."""
    spec = HoldSpec(signal="s", posture=[{"s": Band(min=75)}], min_hold_s=0.5, settle_within=within)
    settle, timer = SettleDetector(0.5, within), HoldTimer(spec)
    holds = []
    for i, v in enumerate([*values, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]):
        t_s, in_band = i / fps, spec.posture[0]["s"].contains(v)
        still = settle.update(t_s, v if in_band else math.nan)
        in_position = in_band and (timer.active or still)
        hold = timer.update(t_s, in_position, "none", at_rest=settle.at_rest)
        holds += [hold] if hold else []
    [hold] = holds
    return hold.start_s, hold.end_s


@pytest.mark.parametrize(
    ("name", "values", "within", "expected"),
    [
        # resting 2 s, then rising out slowly through the band (4 deg a frame): the way out is not
        # timed, the hold ends at the last frame at the resting level, the one before the rise
        ("rising_out_slowly", [100.0] * 20 + [96, 92, 88, 84, 80, 76], 2.0, (0.5, 1.9)),
        # a hand adjusting the grip: the signal swings 3 deg around where the person rested
        # (never still for 0.5 s), then they leave: the flicker is still the hold
        ("adjusting_then_out", [100.0] * 10 + [98.5, 101.5] * 3 + [60.0], 2.0, (0.5, 1.5)),
        # a shift in the middle of the hold that comes back: the hold runs on to the end
        ("shift_and_back", [100.0] * 10 + [90, 85, 90] + [100.0] * 10, 2.0, (0.5, 2.2)),
        # without a settle gate the whole stay in the band is the hold
        ("no_gate", [100.0] * 20 + [96, 92, 88, 84, 80, 76], None, (0.0, 2.5)),
    ],
)
def test_hold_ends_at_the_last_still_moment(
    name: str, values: list[float], within: float | None, expected: tuple[float, float]
) -> None:
    assert _hold_span(values, within) == pytest.approx(expected)


@pytest.mark.parametrize("fps", [10.0, 15.0, 24.0, 30.0, 60.0])
def test_resting_is_still_on_every_frame_at_any_frame_rate(fps: float) -> None:
    # a low-light webcam at 15 fps: frames 67 ms apart must not make a resting person flicker
    # between still and not (the hold would end at the first "not still" frame)
    detector = SettleDetector(0.5, 2.0)
    verdicts = [detector.update(i / fps, 100.0) for i in range(int(3 * fps))]
    first = verdicts.index(True)
    assert 0.45 - 1e-9 <= first / fps <= 0.5 + 1 / fps
    assert all(verdicts[first:])
