"""Per-person references that a single frame cannot give: the person's own standing hip height.

How far the hips have sunk is only meaningful against where they are when the person stands, in
the same view, at the same distance from the camera. The image height of the hip above the
ankles is that measure in any view: the legs of a standing person are vertical, so they are seen
at full length from the side, the front or at a slant, unlike a joint angle, which a front view
foreshortens (MediaPipe's 3D knee angle reads ~30 deg low at the bottom of a front-view squat).
"""

from __future__ import annotations

import math

from formcheck.landmarks import PoseFrame
from formcheck.signals.filters import RollingMedian
from formcheck.signals.geometry import flexion_deg

# Legs count as straight (the person is standing) while both knees bend less than this in the 3D
# world landmarks. Standing people read 5-20 deg (the model's own bias); 25 deg leaves room for
# soft knees and keeps the squat's bottom out. The 3D angle is used because it is defined in
# every view; its front-view underestimate only lets the first moments of a descent in, which
# the median below outvotes.
STRAIGHT_KNEE_MAX_DEG = 25.0
# The reference is the median over the standing moments of the last few seconds: long enough to
# outvote a jump's flight or a single misplaced frame, short enough to follow a person who steps
# closer to or further from the camera between sets.
STANDING_WINDOW_S = 3.0


def hip_height_px(frame: PoseFrame) -> float:
    """Height of the hip midpoint above the ankle midpoint in the image, in pixels (y down)."""
    hip_y = (frame.xy("left_hip")[1] + frame.xy("right_hip")[1]) / 2
    ankle_y = (frame.xy("left_ankle")[1] + frame.xy("right_ankle")[1]) / 2
    return float(ankle_y - hip_y)


def legs_straight(frame: PoseFrame) -> bool:
    """Both knees nearly straight (3D hip-knee-ankle flexion under ``STRAIGHT_KNEE_MAX_DEG``)."""
    flex = [
        flexion_deg(frame.world(f"{s}_hip"), frame.world(f"{s}_knee"), frame.world(f"{s}_ankle"))
        for s in ("left", "right")
    ]
    return all(f < STRAIGHT_KNEE_MAX_DEG for f in flex)


class StandingHipHeight:
    """The person's standing hip height in the image (pixels), learnt while they stand.

    ``update`` returns the current reference: the median hip height over the standing frames of
    the last ``window_s`` seconds of standing, NaN until the person has stood once. While they
    squat or sit the last reference is kept.
    """

    def __init__(self, window_s: float = STANDING_WINDOW_S) -> None:
        self._heights = RollingMedian(window_s)
        self._reference = math.nan

    @property
    def reference_px(self) -> float:
        return self._reference

    def update(self, frame: PoseFrame) -> float:
        height = hip_height_px(frame)
        if height > 0 and legs_straight(frame):
            self._reference = self._heights.add(frame.t_s, height)
        return self._reference
