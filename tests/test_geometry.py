"""Geometry and signal conventions, with hand-computed answers."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from formcheck.landmarks import INDEX, LANDMARK_NAMES, MIRROR
from formcheck.signals.catalog import SIGNALS, SignalContext
from formcheck.signals.geometry import (
    flexion_deg,
    incline_from_vertical_deg,
    interior_angle_deg,
    line_angle_deg,
)
from formcheck.signals.view import body_yaw_deg, classify_view, near_side
from tests import factories
from tests.factories import side_view_squat_frame

P = np.array


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        # straight line
        (P([0, 0]), P([0, 1]), P([0, 2]), 180.0),
        # right angle
        (P([1, 0]), P([0, 0]), P([0, 1]), 90.0),
        # mirrored right angle gives the same interior angle
        (P([-1, 0]), P([0, 0]), P([0, 1]), 90.0),
        # 45 degrees
        (P([1, 0]), P([0, 0]), P([1, 1]), 45.0),
        # 3D points work the same way
        (P([1, 0, 0]), P([0, 0, 0]), P([0, 0, 1]), 90.0),
    ],
)
def test_interior_angle(a, b, c, expected):
    assert interior_angle_deg(a, b, c) == pytest.approx(expected)
    assert flexion_deg(a, b, c) == pytest.approx(180.0 - expected)


@pytest.mark.parametrize(
    "points",
    [
        # NaN anywhere gives NaN
        (P([math.nan, 0]), P([0, 0]), P([0, 1])),
        # zero-length segment gives NaN
        (P([0, 0]), P([0, 0]), P([0, 1])),
    ],
)
def test_interior_angle_undefined(points):
    assert math.isnan(interior_angle_deg(*points))


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        (P([0, 10]), P([0, 0]), 0.0),  # upright (image y down)
        (P([0, 0]), P([10, 0]), 90.0),  # horizontal, facing right
        (P([0, 0]), P([-10, 0]), 90.0),  # horizontal, facing left: same incline
        (P([0, 10]), P([10, 0]), 45.0),
        (P([0, 0]), P([0, 10]), 180.0),  # upside down
        (P([0, 0]), P([math.nan, 0]), math.nan),
    ],
)
def test_incline_from_vertical(lower, upper, expected):
    got = incline_from_vertical_deg(lower, upper)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("u", "v", "expected"),
    [(P([1, 0]), P([-1, 0]), 0.0), (P([1, 0]), P([0, 1]), 90.0), (P([1, 1]), P([-1, 0]), 45.0)],
)
def test_line_angle_is_undirected(u, v, expected):
    assert line_angle_deg(u, v) == pytest.approx(expected)


def test_mirror_table_is_an_involution():
    for name in LANDMARK_NAMES:
        assert MIRROR[MIRROR[name]] == name
    assert MIRROR["left_knee"] == "right_knee"
    assert MIRROR["mouth_left"] == "mouth_right"
    assert MIRROR["nose"] == "nose"


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("near", ["left", "right"])
@pytest.mark.parametrize("knee_deg", [0.0, 45.0, 90.0, 120.0])
def test_knee_flexion_same_whichever_way_the_person_faces(facing, near, knee_deg):
    frame = side_view_squat_frame(0.0, knee_deg, facing=facing, near=near)
    for view in ("side", "front"):  # 2D image and 3D world agree on a side-on figure
        ctx = SignalContext(view, near)
        assert SIGNALS["knee_flexion_deg"].fn(frame, ctx) == pytest.approx(knee_deg, abs=1e-6)
    # The mirrored frame (labels swapped) measures the same on the other side.
    mirrored = frame.mirrored()
    other = "left" if near == "right" else "right"
    got = SIGNALS["knee_flexion_deg"].fn(mirrored, SignalContext("side", other))
    assert got == pytest.approx(knee_deg, abs=1e-6)


@pytest.mark.parametrize("facing", ["left", "right"])
def test_trunk_incline_and_view(facing):
    frame = side_view_squat_frame(0.0, 90.0, trunk_lean_deg=30.0, facing=facing)
    ctx = SignalContext("side", "left")
    assert SIGNALS["trunk_incline_deg"].fn(frame, ctx) == pytest.approx(30.0, abs=1e-6)
    assert classify_view(body_yaw_deg(frame)) == "side"
    assert near_side(frame) == "left"


def test_spine_flexion_zero_when_ear_shoulder_hip_in_line():
    frame = side_view_squat_frame(0.0, 60.0, trunk_lean_deg=40.0)
    assert SIGNALS["spine_flexion_deg"].fn(frame, SignalContext("side", "left")) == pytest.approx(
        0.0, abs=1e-6
    )


def test_signal_is_nan_when_a_landmark_is_nan():
    frame = side_view_squat_frame(0.0, 60.0)
    frame.xy_px[INDEX["left_knee"]] = math.nan
    assert math.isnan(SIGNALS["knee_flexion_deg"].fn(frame, SignalContext("side", "left")))


@pytest.mark.parametrize(
    ("yaw_deg", "view"), [(0, "front"), (29, "front"), (40, "diagonal"), (60, "side"), (90, "side")]
)
def test_classify_view(yaw_deg, view):
    assert classify_view(yaw_deg) == view


@pytest.mark.parametrize("knee_deg", [0.0, 30.0, 60.0, 90.0])
@pytest.mark.parametrize("view", ["side", "front"])
def test_hip_drop_leg_against_the_standing_height(knee_deg, view):
    # The factory sinks the hips straight over the ankles with shin and thigh each leaning by half
    # the knee flexion: the hip height is cos(k/2) of the standing height (the factory's legs are
    # 0.88 m at 300 px/m, i.e. 264 px).
    standing_px = (factories.THIGH_M + factories.SHIN_M) * factories.PX_PER_M
    frame = factories.side_view_squat_frame(0.0, knee_deg)
    got = SIGNALS["hip_drop_leg"].fn(frame, SignalContext(view, "left", standing_px))
    assert got == pytest.approx(1 - math.cos(math.radians(knee_deg / 2)), abs=1e-6)


def test_hip_drop_leg_is_nan_before_the_person_has_stood():
    frame = factories.side_view_squat_frame(0.0, 90.0)
    assert math.isnan(SIGNALS["hip_drop_leg"].fn(frame, SignalContext("front", "both")))


@pytest.mark.parametrize(
    ("left_knee_vis", "right_knee_vis", "left_expected", "right_expected"),
    [
        # scenario: both knees in view: each leg's own angle, as knee_flexion_deg measures it
        (0.95, 0.95, 70.0, 70.0),
        # scenario: side-on, the right leg hidden behind the left: its angle is not guessed
        (0.95, 0.2, 70.0, math.nan),
        # scenario: just under the floor counts as hidden
        (0.49, 0.95, math.nan, 70.0),
    ],
)
def test_each_knee_is_measured_on_its_own_and_a_hidden_one_is_blank(
    left_knee_vis: float, right_knee_vis: float, left_expected: float, right_expected: float
) -> None:
    frame = side_view_squat_frame(0.0, 70.0)
    vis = frame.visibility.copy()
    vis[INDEX["left_knee"]], vis[INDEX["right_knee"]] = left_knee_vis, right_knee_vis
    frame = dataclasses.replace(frame, visibility=vis)
    ctx = SignalContext("side", "left")
    for name, expected in (
        ("left_knee_flexion_deg", left_expected),
        ("right_knee_flexion_deg", right_expected),
    ):
        value = SIGNALS[name].fn(frame, ctx)
        if math.isnan(expected):
            assert math.isnan(value), name
        else:
            assert value == pytest.approx(expected, abs=1e-6), name
