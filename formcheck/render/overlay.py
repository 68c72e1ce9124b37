"""Drawing the engine's view of a frame: skeleton, the angles that matter, count or timer, the cue.

Drawing only; nothing here computes a result. Used by the annotated video and the live page.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from formcheck.engine.session import FrameState
from formcheck.landmarks import INDEX, SIDES, SKELETON, PoseFrame, side_name
from formcheck.signals.catalog import SIGNALS, shown_decimals
from formcheck.specs.schema import ExerciseSpec

RgbImage = npt.NDArray[np.uint8]

GOOD = (60, 200, 90)
BAD = (235, 70, 60)
NEUTRAL = (240, 240, 240)
PANEL = (25, 25, 25)


def key_value_text(value: float, unit: str) -> str:
    """The key signal's value as drawn beside its joint, with its unit ("95deg", "0.85 torso")."""
    number = f"{value:.{shown_decimals(unit)}f}"
    return f"{number}deg" if unit == "deg" else f"{number} {unit}"


def _put(
    img: RgbImage, text: str, org: tuple[int, int], scale: float, color: tuple[int, int, int]
) -> None:
    # A drop shadow at the same thickness: OpenCV 5's font advances wider at a larger thickness,
    # so a thick outline would run past the end of the text.
    shadow = (org[0] + 1, org[1] + 1)
    cv2.putText(img, text, shadow, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def draw_overlay(
    rgb: RgbImage,
    pose: PoseFrame | None,
    state: FrameState,
    spec: ExerciseSpec,
    cue: str | None = None,
    min_visibility: float = 0.5,
) -> RgbImage:
    """Return a copy of ``rgb`` with the overlay drawn on it."""
    img = rgb.copy()
    h, w = img.shape[:2]
    scale = max(0.4, min(w, h) / 700)
    color = BAD if state.active_faults else GOOD
    if pose is not None:
        pts = pose.xy_px
        for a, b in SKELETON:
            ia, ib = INDEX[a], INDEX[b]
            if pose.visibility[ia] < min_visibility or pose.visibility[ib] < min_visibility:
                continue
            pa = (int(pts[ia, 0]), int(pts[ia, 1]))
            pb = (int(pts[ib, 0]), int(pts[ib, 1]))
            cv2.line(img, pa, pb, color, max(2, int(3 * scale)), cv2.LINE_AA)
        for i in range(len(pts)):
            if pose.visibility[i] >= min_visibility and i >= 11:
                cv2.circle(
                    img, (int(pts[i, 0]), int(pts[i, 1])), max(2, int(4 * scale)), NEUTRAL, -1
                )
        # The key angle, written beside the joint it is measured at.
        key = state.signals.get(spec.key_signal, math.nan)
        side = state.side if state.side in SIDES else "left"
        anchor = {"knee": "knee", "hip": "hip", "spine": "shoulder"}.get(
            spec.key_signal.split("_")[0], "hip"
        )
        name = side_name(side, anchor)
        if not math.isnan(key) and name in INDEX:
            p = pts[INDEX[name]]
            _put(
                img,
                key_value_text(key, SIGNALS[spec.key_signal].unit),
                (int(p[0]) + 8, int(p[1])),
                0.6 * scale * 1.4,
                NEUTRAL,
            )
    # Status panel.
    panel_h = int(70 * scale * 1.3)
    cv2.rectangle(img, (0, 0), (w, panel_h), PANEL, -1)
    if spec.kind == "reps":
        line1 = (
            f"{spec.title}  reps {state.rep_count}"
            f"  (good {state.good_reps}, faulty {state.faulty_reps})"
        )
    else:
        target = spec.prescription.hold_s
        goal = f" / {target:.0f} s" if target else ""
        line1 = f"{spec.title}  hold {state.hold_s:4.1f} s{goal}"
    _put(img, line1, (8, int(26 * scale * 1.3)), 0.6 * scale * 1.3, NEUTRAL)
    if cue:
        _put(
            img,
            cue,
            (8, int(56 * scale * 1.3)),
            0.5 * scale * 1.3,
            BAD if state.active_faults else (250, 210, 80),
        )
    return img
