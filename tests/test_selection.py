"""Following the exerciser when more than one person is in view (no model: synthetic people)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.pose.selection import ActivePersonSelector
from tests.factories import side_view_squat_frame


def person(t_s: float, knee_deg: float, shift_px: float) -> np.ndarray:
    xy = side_view_squat_frame(t_s, knee_deg).xy_px.copy()
    xy[:, 0] += shift_px
    return xy


def squat_angle(t_s: float) -> float:
    """Slow squats, one every 3 s, between 5 and 90 deg of knee flexion."""
    return 47.5 - 42.5 * math.cos(2 * math.pi * t_s / 3.0)


def run(schedule, fps: float = 30.0, seconds: float = 12.0, order_flips: bool = False):
    """``schedule(t) -> (left_deg, right_deg)``; per frame, 1.0 if the right one is followed."""
    selector = ActivePersonSelector()
    followed = []
    for i in range(int(seconds * fps)):
        t = i / fps
        a, b = schedule(t)
        people = [person(t, a, 0.0), person(t, b, 600.0)]
        if order_flips and i % 2:
            people.reverse()  # the model does not promise a stable order
        idx = selector.select(t, people)
        assert idx is not None
        followed.append(float(people[idx][0, 0] > 700))  # 1.0 = the right-hand person
    return np.array(followed)


@pytest.mark.parametrize("order_flips", [False, True])
def test_follows_the_person_who_squats(order_flips):
    # Scenario: the right-hand person squats while the left-hand one stands still.
    followed = run(lambda t: (5.0, squat_angle(t)), order_flips=order_flips)
    assert followed[60:].mean() == 1.0  # after two seconds, always the exerciser


def test_switches_when_the_other_person_takes_over():
    # Scenario: the split-screen clip: left squats for 6 s, then stands while right squats.
    followed = run(lambda t: (squat_angle(t), 5.0) if t < 6 else (5.0, squat_angle(t)), seconds=14)
    assert followed[60:170].mean() == 0.0  # the left person while they exercise
    assert followed[-60:].mean() == 1.0  # the right person once they have taken over
    switches = int(np.abs(np.diff(followed)).sum())
    assert switches == 1  # once, no flicker


def test_two_people_moving_alike_do_not_flicker():
    followed = run(lambda t: (squat_angle(t), squat_angle(t + 0.2)))
    assert int(np.abs(np.diff(followed)).sum()) == 0


def test_nobody_in_view():
    assert ActivePersonSelector().select(0.0, []) is None


class _NoModel:
    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("times_s", "expected_ms"),
    [
        # a normal stream keeps its own spacing
        ([0.0, 0.033, 0.066], [0, 33, 66]),
        # a frame with the same timestamp is nudged forward by 1 ms
        ([0.0, 0.033, 0.033], [0, 33, 34]),
        # a new stream restarting at 0 continues one frame later, then keeps its real spacing
        ([5.0, 5.033, 0.0, 0.1, 0.2], [5000, 5033, 5066, 5166, 5266]),
    ],
)
def test_landmarker_clock(times_s, expected_ms):
    from formcheck.pose.mediapipe_backend import _VideoLandmarker

    clock = _VideoLandmarker(lambda n: _NoModel(), 1)
    assert [clock.clock_ms(t) for t in times_s] == expected_ms
