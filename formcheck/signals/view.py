"""Which way the camera sees the body: side, front or diagonal, and which side is nearer.

The body's left-right axis (the shoulder line and the hip line, in the model's 3D world landmarks)
is compared with the image plane. Seen from the front or back that axis lies in the image plane
(yaw 0); seen from the side it points at the camera (yaw 90). This works for lying and kneeling
postures too, because it does not assume the person is upright.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from formcheck.landmarks import PoseFrame, side_name
from formcheck.types import SeenView, Side

# Yaw limits: below 30 degrees the knees' side-to-side movement is well seen (front); above 55 the
# sagittal plane is close enough to square-on that 2D angles err by less than ~10% (side).
FRONT_MAX_YAW_DEG = 30.0
SIDE_MIN_YAW_DEG = 55.0


def body_yaw_deg(frame: PoseFrame) -> float:
    """Angle between the body's left-right axis and the image plane, 0 (front) .. 90 (side)."""
    axis = (frame.world("left_shoulder") - frame.world("right_shoulder")) + (
        frame.world("left_hip") - frame.world("right_hip")
    )
    lateral = math.hypot(float(axis[0]), float(axis[1]))
    depth = abs(float(axis[2]))
    if not (lateral > 0 or depth > 0):
        return math.nan
    return math.degrees(math.atan2(depth, lateral))


def classify_view(yaw_deg: float) -> SeenView:
    """The view a body yaw stands for: side from ``SIDE_MIN_YAW_DEG``, front up to
    ``FRONT_MAX_YAW_DEG``, diagonal between."""
    if yaw_deg >= SIDE_MIN_YAW_DEG:
        return "side"
    if yaw_deg <= FRONT_MAX_YAW_DEG:
        return "front"
    return "diagonal"


# The far side of a body seen side-on is hidden behind it; when one side's landmarks are this much
# less visible in all (summed over shoulder, hip, knee and ankle), that side is the far one,
# whatever the model's depth says (its depth of hidden points is a guess: on a real side-on
# deadlift it put the hidden leg nearer, so the hidden leg was judged on 313 of 1240 frames).
NEAR_VISIBILITY_MARGIN = 0.6


def near_side(frame: PoseFrame) -> Side:
    """The side of the body nearer the camera: the clearly more visible one, else the one with
    the smaller world z (MediaPipe's z is smaller toward the camera)."""
    names = ("shoulder", "hip", "knee", "ankle")
    vis_left = sum(frame.vis(side_name("left", n)) for n in names)
    vis_right = sum(frame.vis(side_name("right", n)) for n in names)
    if abs(vis_left - vis_right) >= NEAR_VISIBILITY_MARGIN:
        return "left" if vis_left > vis_right else "right"
    z_left = sum(float(frame.world(side_name("left", n))[2]) for n in names)
    z_right = sum(float(frame.world(side_name("right", n))[2]) for n in names)
    return "left" if z_left < z_right else "right"


@dataclass(frozen=True)
class ViewEstimate:
    """The view, the body's yaw in degrees and the nearer side, as :class:`ViewTracker` sees
    them now."""

    view: SeenView
    yaw_deg: float
    near_side: Side


class ViewTracker:
    """Steady view and near side over the last ``window_s`` seconds (medians and majorities), so
    one noisy frame does not flip the view or the side."""

    def __init__(self, window_s: float = 3.0) -> None:
        self._window_s = window_s
        self._samples: deque[tuple[float, float, Side]] = deque()

    def update(self, frame: PoseFrame) -> ViewEstimate:
        """Feed one frame; returns the steady estimate with it included."""
        yaw = body_yaw_deg(frame)
        if not math.isnan(yaw):
            self._samples.append((frame.t_s, yaw, near_side(frame)))
        while self._samples and frame.t_s - self._samples[0][0] > self._window_s:
            self._samples.popleft()
        return self.current()

    def current(self) -> ViewEstimate:
        """The steady estimate over the window; view ``unknown`` before any pose."""
        if not self._samples:
            return ViewEstimate("unknown", math.nan, "left")
        yaw = float(np.median([s[1] for s in self._samples]))
        lefts = sum(1 for s in self._samples if s[2] == "left")
        side: Side = "left" if lefts * 2 >= len(self._samples) else "right"
        return ViewEstimate(classify_view(yaw), yaw, side)
