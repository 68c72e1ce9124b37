"""Per-person references that a single frame cannot give: the person's own standing hip height.

How far the hips have sunk is only meaningful against where they are when the person stands, in
the same view, at the same distance from the camera. The image height of the hip above the
ankles is that measure in any view: the legs of a standing person are vertical, so they are seen
at full length from the side, the front or at a slant, unlike a joint angle, which a front view
foreshortens (MediaPipe's 3D knee angle reads ~30 deg low at the bottom of a front-view squat).
"""

from __future__ import annotations

import math

from formcheck.landmarks import SIDES, PoseFrame, side_name
from formcheck.signals.filters import RollingMedian
from formcheck.signals.geometry import flexion_deg

# Legs count as straight (the person is standing) while both knees bend no more than this beyond
# the straightest the same person's knees have read so far, in the 3D world landmarks. The
# model's reading of a standing knee depends on the person and the view (5-20 deg side-on, 26-31
# deg from the front on real people), so a fixed limit either misses standing people or lets a
# descent in; their own straightest reading does neither. A squat's bottom is 60 deg or more past
# it.
STRAIGHT_KNEE_MARGIN_DEG = 12.0
# Never straight past this, whatever the person's own reading: someone who starts seated on a
# box (knees at ~90) has not stood yet.
STRAIGHT_KNEE_CAP_DEG = 45.0
# The straightest reading is taken on a short running median, so that one misread frame cannot
# set it.
KNEE_SMOOTHING_S = 0.3
# The reference is the median over the standing moments of the last few seconds: long enough to
# outvote a jump's flight or a single misplaced frame, short enough to follow a person who steps
# closer to or further from the camera between sets.
STANDING_WINDOW_S = 3.0


def hip_height_px(frame: PoseFrame) -> float:
    """Height of the hip midpoint above the ankle midpoint in the image, in pixels (y down)."""
    hip_y = (frame.xy("left_hip")[1] + frame.xy("right_hip")[1]) / 2
    ankle_y = (frame.xy("left_ankle")[1] + frame.xy("right_ankle")[1]) / 2
    return float(ankle_y - hip_y)


def knee_bend_deg(frame: PoseFrame) -> float:
    """The more bent of the two knees (3D hip-knee-ankle flexion), in degrees."""
    return max(
        flexion_deg(
            frame.world(side_name(s, "hip")),
            frame.world(side_name(s, "knee")),
            frame.world(side_name(s, "ankle")),
        )
        for s in SIDES
    )


class StandingHipHeight:
    """The person's standing hip height in the image (pixels), learnt while they stand.

    ``update`` returns the current reference: the median hip height over the standing frames of
    the last ``window_s`` seconds of standing, NaN until the person has stood once. While they
    squat or sit the last reference is kept. Standing is judged against the person's own
    straightest knees (see ``STRAIGHT_KNEE_MARGIN_DEG``).
    """

    def __init__(self, window_s: float = STANDING_WINDOW_S) -> None:
        self._heights = RollingMedian(window_s)
        self._knee = RollingMedian(KNEE_SMOOTHING_S)
        self._straightest_deg = math.inf
        self._reference = math.nan

    def legs_straight(self, frame: PoseFrame) -> bool:
        """Are both knees within the margin of the straightest this person has shown?"""
        bend = knee_bend_deg(frame)
        if math.isnan(bend):
            return False
        self._straightest_deg = min(self._straightest_deg, self._knee.add(frame.t_s, bend))
        limit = min(self._straightest_deg + STRAIGHT_KNEE_MARGIN_DEG, STRAIGHT_KNEE_CAP_DEG)
        return bend <= limit

    def update(self, frame: PoseFrame) -> float:
        """Feed one frame; returns the standing hip height learnt so far (NaN until the person has
        stood)."""
        height = hip_height_px(frame)
        if self.legs_straight(frame) and height > 0:
            self._reference = self._heights.add(frame.t_s, height)
        return self._reference
