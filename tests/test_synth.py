"""The renderer's kinematics, its truth angles and the determinism of a rendered clip (fast)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from formcheck.signals.catalog import SignalContext, knee_flexion_deg, spine_flexion_deg
from formcheck.synth import poses
from formcheck.synth.body import SIZE, LegPose, two_link
from formcheck.synth.camera import place_camera
from formcheck.synth.clip import ClipSpec, render_clip, true_pose_frame
from formcheck.synth.scripts import Timeline


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


@pytest.mark.parametrize("knee", [3.0, 45.0, 90.0, 110.0])
@pytest.mark.parametrize("side", ["left", "right"])
def test_standing_squat_keeps_segment_lengths_and_feet_on_floor(knee: float, side: str) -> None:
    b = poses.stand(knee_flex_deg=knee, trunk_pitch_deg=0.4 * knee, valgus_deg=10.0)
    j = b.joints
    assert _dist(j[f"{side}_hip"], j[f"{side}_knee"]) == pytest.approx(SIZE.thigh, abs=1e-9)
    assert _dist(j[f"{side}_knee"], j[f"{side}_ankle"]) == pytest.approx(SIZE.shank, abs=1e-9)
    # Feet flat on the floor: heel and toe at the same height.
    assert j[f"{side}_heel"][2] == pytest.approx(j[f"{side}_foot_index"][2], abs=1e-9)


@pytest.mark.parametrize("knee", [10.0, 60.0, 95.0])
def test_true_knee_angle_matches_the_scripted_angle_in_3d_and_side_view(knee: float) -> None:
    b = poses.stand(knee_flex_deg=knee, trunk_pitch_deg=0.4 * knee, stance_half_m=0.09)
    cam = place_camera(
        "side",
        np.array([1.0, 0, 0]),
        np.array([0, 1.0, 0]),
        "left",
        np.array([0, 0, 0.85]),
        3.0,
        1.0,
        480,
        360,
    )
    pf = true_pose_frame(b, cam, 0.0)
    # 3D (front context) is exact; the side-view image angle only differs by perspective.
    assert knee_flexion_deg(pf, SignalContext("front", "left")) == pytest.approx(knee, abs=0.5)
    assert knee_flexion_deg(pf, SignalContext("side", "left")) == pytest.approx(knee, abs=3.0)


def test_rounded_back_raises_the_true_spine_flexion() -> None:
    cam = place_camera(
        "side",
        np.array([1.0, 0, 0]),
        np.array([0, 1.0, 0]),
        "left",
        np.array([0, 0, 0.85]),
        3.0,
        1.0,
        480,
        360,
    )
    flat = true_pose_frame(poses.stand(trunk_pitch_deg=80), cam, 0.0)
    bent = true_pose_frame(
        poses.stand(trunk_pitch_deg=80, thoracic_flex_deg=27, neck_flex_deg=18), cam, 0.0
    )
    # Side view (image): the ear-shoulder-hip line is nearly straight with a neutral spine.
    ctx = SignalContext("side", "left")
    assert spine_flexion_deg(flat, ctx) < 15
    assert spine_flexion_deg(bent, ctx) > spine_flexion_deg(flat, ctx) + 15
    # In 3D the two sides are mirror images, so they read the same.
    assert spine_flexion_deg(bent, SignalContext("front", "right")) == pytest.approx(
        spine_flexion_deg(bent, SignalContext("front", "left")), abs=1e-6
    )


def test_two_link_reaches_a_reachable_target_and_bends_toward_the_pole() -> None:
    root = np.zeros(3)
    mid, end = two_link(root, np.array([0.5, 0, -0.5]), 0.43, 0.42, np.array([0, 0, 1.0]))
    assert _dist(end, np.array([0.5, 0, -0.5])) < 1e-9
    assert _dist(mid, root) == pytest.approx(0.43)
    assert mid[2] > -0.25  # bent upward, toward the pole


def test_bridge_keeps_shoulders_and_feet_where_they_lay() -> None:
    flat = poses.supine(hip_flex={"left": 50, "right": 50}, knee_flex={"left": 100, "right": 100})
    up = poses.supine(
        hip_flex={"left": 50, "right": 50}, knee_flex={"left": 100, "right": 100}, bridge_deg=25
    )
    for name in ("neck_base", "left_ankle", "right_ankle"):
        assert _dist(flat.joints[name], up.joints[name]) < 0.03
    assert up.joints["pelvis"][2] > flat.joints["pelvis"][2] + 0.15


def test_clamshell_opening_moves_only_the_top_knee() -> None:
    closed = poses.side_lying(down_side="left")
    opened = poses.side_lying(down_side="left", open_deg=40)
    assert _dist(closed.joints["left_knee"], opened.joints["left_knee"]) < 1e-6
    assert _dist(closed.joints["right_knee"], opened.joints["right_knee"]) > 0.15
    assert opened.joints["right_knee"][2] > closed.joints["right_knee"][2]
    # Clean side-lying: the hip line is vertical (stacked).
    v = closed.joints["left_hip"] - closed.joints["right_hip"]
    assert math.degrees(math.acos(abs(v[2]) / np.linalg.norm(v))) < 2


def test_timeline_is_smooth_and_holds_its_keys() -> None:
    tl = Timeline({"a": 0.0})
    tl.move(1.0, a=10.0)
    tl.pause(0.5)
    assert tl.at(0.0)["a"] == 0.0
    assert tl.at(0.5)["a"] == pytest.approx(5.0)
    assert tl.at(1.2)["a"] == 10.0
    assert tl.at(99)["a"] == 10.0


def test_a_short_clip_renders_byte_for_byte_the_same(tmp_path: Path) -> None:
    spec = ClipSpec(
        "tiny", "glute_bridge", "side", 7, fps=10.0, width=160, height=120, options={"reps": 1}
    )
    digests = []
    for run in ("a", "b"):
        video, truth = render_clip(spec, tmp_path / run)
        digests.append(
            (
                hashlib.sha256(video.read_bytes()).hexdigest(),
                hashlib.sha256(truth.read_bytes()).hexdigest(),
            )
        )
    assert digests[0] == digests[1]
    data = json.loads((tmp_path / "a" / "tiny.truth.json").read_text())
    assert data["exercise"] == "glute_bridge" and len(data["reps"]) == 1
    assert len(data["frames"]) == round(data["duration_s"] * 10) + 1
    # A different seed gives a different clip.
    other, _ = render_clip(
        ClipSpec(
            "tiny", "glute_bridge", "side", 8, fps=10.0, width=160, height=120, options={"reps": 1}
        ),
        tmp_path / "c",
    )
    assert hashlib.sha256(other.read_bytes()).hexdigest() != digests[0][0]


def test_supine_leg_by_ik_reaches_its_target() -> None:
    b = poses.supine(
        legs={
            "left": LegPose(ankle=np.array([0.0, 0.2, -0.5]), pole=np.array([0, 0, 1.0])),
            "right": LegPose(),
        }
    )
    j = b.joints
    assert _dist(j["left_hip"], j["left_knee"]) == pytest.approx(SIZE.thigh)
