"""The renderer's kinematics, its truth angles and the determinism of a rendered clip (fast)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from formcheck.signals.catalog import (
    SignalContext,
    ankle_gap_leg,
    crossed_leg_side,
    knee_flexion_deg,
    kneeling_leg_side,
    max_hip_flexion_deg,
    pelvis_lift_deg,
    spine_flexion_deg,
    thigh_opening_deg,
    trunk_incline_deg,
)
from formcheck.signals.geometry import line_angle_deg
from tools.synth import poses, scripts
from tools.synth.body import SIZE, LegPose, two_link
from tools.synth.camera import Camera, place_camera
from tools.synth.clip import (
    HEAD_DIAGONAL,
    HEAD_END,
    ClipSpec,
    _camera,
    render_clip,
    seen_view,
    true_pose_frame,
)
from tools.synth.render import background, draw
from tools.synth.scripts import Timeline


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


def _side_cam(aim_z: float = 0.6, height_m: float = 0.9) -> Camera:
    """480x360 camera 3 m to the left of a figure facing +x, aimed at ``aim_z`` metres up."""
    return place_camera(
        "side",
        np.array([1.0, 0, 0]),
        np.array([0, 1.0, 0]),
        "left",
        np.array([0, 0, aim_z]),
        3.0,
        height_m,
        480,
        360,
    )


@pytest.mark.parametrize("knee", [10.0, 60.0, 95.0])
def test_true_knee_angle_matches_the_scripted_angle_in_3d_and_side_view(knee: float) -> None:
    b = poses.stand(knee_flex_deg=knee, trunk_pitch_deg=0.4 * knee, stance_half_m=0.09)
    cam = _side_cam(aim_z=0.85, height_m=1.0)
    pf = true_pose_frame(b, cam, 0.0)
    # 3D (front context) is exact; the side-view image angle only differs by perspective.
    assert knee_flexion_deg(pf, SignalContext("front", "left")) == pytest.approx(knee, abs=0.5)
    assert knee_flexion_deg(pf, SignalContext("side", "left")) == pytest.approx(knee, abs=3.0)


def test_rounded_back_raises_the_true_spine_flexion() -> None:
    cam = _side_cam(aim_z=0.85, height_m=1.0)
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


@pytest.mark.parametrize("down_side", ["left", "right"])
def test_side_lying_leg_lift_raises_the_straight_top_leg_alone(down_side: str) -> None:
    top = "right" if down_side == "left" else "left"
    rest = poses.side_lying(down_side=down_side, hip_flex_deg=12, knee_flex_deg=3)
    lifted = poses.side_lying(down_side=down_side, hip_flex_deg=12, knee_flex_deg=3, lift_deg=30)
    for part in ("knee", "ankle"):
        bottom = f"{down_side}_{part}"
        assert _dist(rest.joints[bottom], lifted.joints[bottom]) < 1e-9
    # The ankle swings up on a circle about the hip: a leg length (0.85 m) times 2 sin(15 deg).
    leg = SIZE.thigh + SIZE.shank
    swing = _dist(rest.joints[f"{top}_ankle"], lifted.joints[f"{top}_ankle"])
    assert swing == pytest.approx(2 * leg * math.sin(math.radians(15)), rel=0.03)
    assert lifted.joints[f"{top}_ankle"][2] > rest.joints[f"{top}_ankle"][2] + 0.35
    # The true ankle gap in leg lengths grows with the lift, whatever the camera.
    cam = _side_cam()
    ctx = SignalContext("front", "both")
    gap_rest = ankle_gap_leg(true_pose_frame(rest, cam, 0.0), ctx)
    gap_lift = ankle_gap_leg(true_pose_frame(lifted, cam, 0.0), ctx)
    assert gap_rest < 0.2 < 0.6 < gap_lift


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


@pytest.mark.parametrize(
    ("total_deg", "lo", "hi"), [(0, 0, 3), (30, 9, 16), (60, 20, 28), (90, 33, 41)]
)
def test_realistic_rounding_sets_the_true_ear_shoulder_hip_angle(
    total_deg: float, lo: float, hi: float
) -> None:
    # Total spinal flexion shared over lumbar, thoracic and neck as the hinge script does; the
    # side-view ear-shoulder-hip angle is ~0.4 of it (hand-checked on the figure), so the 35 deg
    # limit is crossed only past ~85 deg of total flexion.
    share = scripts.ROUNDING_SHARE
    b = poses.stand(
        trunk_pitch_deg=85,
        knee_flex_deg=18,
        shank_share=0.25,
        lumbar_flex_deg=share["lumbar"] * total_deg,
        thoracic_flex_deg=share["thoracic"] * total_deg,
        neck_flex_deg=share["neck"] * total_deg,
    )
    flat = poses.stand(trunk_pitch_deg=85, knee_flex_deg=18, shank_share=0.25)
    pf = true_pose_frame(b, _side_cam(), 0.0)
    assert lo <= spine_flexion_deg(pf, SignalContext("side", "left")) <= hi
    if total_deg:
        # The head drops toward the floor and the shoulders come down with the rounding.
        assert b.joints["left_ear"][2] < flat.joints["left_ear"][2] - 0.05
        assert b.joints["left_shoulder"][2] < flat.joints["left_shoulder"][2]


@pytest.mark.parametrize("rise_cm", [5.0, 10.0, 20.0])
def test_hip_rise_lifts_the_hip_joints_above_the_shoulders(rise_cm: float) -> None:
    flat = poses.supine(hip_flex={"left": 110, "right": 110}, knee_flex={"left": 95, "right": 95})
    up = poses.supine(
        hip_flex={"left": 110, "right": 110},
        knee_flex={"left": 95, "right": 95},
        hip_rise_m=rise_cm / 100,
    )

    def hips_over_shoulders(b: poses.Body) -> float:
        j = b.joints
        return float((j["left_hip"][2] + j["right_hip"][2]) / 2 - j["left_shoulder"][2])

    gain = hips_over_shoulders(up) - hips_over_shoulders(flat)
    assert gain == pytest.approx(rise_cm / 100, abs=0.02)
    # The catalog's own pelvis signal sees it: ~1.15 deg per cm of rise in side view.
    pf = true_pose_frame(up, _side_cam(), 0.0)
    lift = pelvis_lift_deg(pf, SignalContext("side", "left"))
    assert lift == pytest.approx(math.degrees(math.atan2(gain, 0.5)), abs=3.0)


def test_pelvis_twist_reads_as_the_twist_angle() -> None:
    b = poses.supine(hip_flex={"left": 110, "right": 110}, pelvis_twist_deg=35)
    pf = true_pose_frame(b, _side_cam(), 0.0)
    hips = pf.world("left_hip") - pf.world("right_hip")
    shoulders = pf.world("left_shoulder") - pf.world("right_shoulder")
    assert line_angle_deg(hips, shoulders) == pytest.approx(35, abs=1)


@pytest.mark.parametrize(
    ("hip_flex", "knee_flex", "full"),
    [
        # single-leg bridge at the top: planted leg in line, the raised leg bent 40 deg at the hip
        ({"left": 0.0, "right": 40.0}, {"left": 90.0, "right": 5.0}, True),
        # the same with the other leg raised
        ({"left": 40.0, "right": 0.0}, {"left": 5.0, "right": 90.0}, True),
        # two-leg bridge at the top
        ({"left": 0.0, "right": 0.0}, {"left": 90.0, "right": 90.0}, True),
        # two-leg bridge stopped short: both hips still bent 25 deg
        ({"left": 25.0, "right": 25.0}, {"left": 90.0, "right": 90.0}, False),
        # single-leg bridge stopped short: the planted hip still bent 25 deg
        ({"left": 25.0, "right": 60.0}, {"left": 90.0, "right": 5.0}, False),
    ],
)
def test_glute_bridge_full_extension_is_judged_on_the_planted_leg(
    hip_flex: dict[str, float], knee_flex: dict[str, float], full: bool
) -> None:
    from formcheck.signals.catalog import SIGNALS
    from formcheck.specs.loader import load_spec

    rule = next(r for r in load_spec("glute_bridge").rules if r.id == "full_hip_extension")
    body = poses.supine(hip_flex=hip_flex, knee_flex=knee_flex)
    pf = true_pose_frame(body, _side_cam(), 0.0)
    value = SIGNALS[rule.signal].fn(pf, SignalContext("side", "both"))
    assert rule.ok.contains(value) == full, value


@pytest.mark.parametrize("spec_id", ["knee_to_chest", "knee_to_chest_hold"])
@pytest.mark.parametrize(
    ("rise_cm", "down"),
    [
        (0.0, True),  # lying flat, one knee drawn in
        (3.0, True),  # a small rise, within landmark error on real clips (2-6 deg)
        (15.0, False),  # the pelvis clearly off the floor
    ],
)
def test_knee_to_chest_pelvis_rule_sees_the_hips_rise(
    spec_id: str, rise_cm: float, down: bool
) -> None:
    from formcheck.signals.catalog import SIGNALS
    from formcheck.specs.loader import load_spec

    rule = next(r for r in load_spec(spec_id).rules if r.id == "pelvis_down")
    body = poses.supine(
        hip_flex={"left": 125.0, "right": 5.0},
        knee_flex={"left": 110.0, "right": 5.0},
        hip_rise_m=rise_cm / 100,
    )
    pf = true_pose_frame(body, _side_cam(), 0.0)
    value = SIGNALS[rule.signal].fn(pf, SignalContext("side", "left"))
    assert rule.ok.contains(value) == down, value


@pytest.mark.parametrize("front", ["left", "right"])
def test_half_kneeling_puts_the_knee_and_the_front_foot_on_the_floor(front: str) -> None:
    back = "right" if front == "left" else "left"
    for lunge in (0.0, 20.0):
        b = poses.half_kneel(forward={front: 1.0, back: 0.0}, lunge_deg=lunge)
        j = b.joints
        assert j[f"{back}_knee"][2] == pytest.approx(0.055, abs=0.01)
        assert min(j[f"{front}_heel"][2], j[f"{front}_foot_index"][2]) == pytest.approx(
            0.02, abs=0.01
        )
        for side in ("left", "right"):
            assert _dist(j[f"{side}_hip"], j[f"{side}_knee"]) == pytest.approx(SIZE.thigh)
            assert _dist(j[f"{side}_knee"], j[f"{side}_ankle"]) == pytest.approx(SIZE.shank)
        pf = true_pose_frame(b, _side_cam(), 0.0)
        assert kneeling_leg_side(pf, "side") == back
        ctx = SignalContext("side", back)
        opening = thigh_opening_deg(pf, ctx)
        # Upright half-kneeling: thighs ~90 deg apart, front knee ~90; pressing the hips
        # forward 20 deg opens them past the 100 deg hold band.
        if lunge == 0.0:
            assert 85 <= opening <= 95
            assert 80 <= knee_flexion_deg(pf, SignalContext("side", front)) <= 95
        else:
            assert opening > 105
        assert trunk_incline_deg(pf, ctx) < 3


def test_childs_pose_folds_over_the_thighs_with_the_knees_down() -> None:
    sitting = poses.kneel_fold(fold_deg=0)
    folded = poses.kneel_fold(fold_deg=72, spine_round_deg=33, reach=1.0)
    ctx = SignalContext("side", "left")
    for b in (sitting, folded):
        assert b.joints["left_knee"][2] < 0.12
        pf = true_pose_frame(b, _side_cam(), 0.0)
        assert knee_flexion_deg(pf, ctx) > 140  # sitting back on the heels
    pf = true_pose_frame(folded, _side_cam(), 0.0)
    assert trunk_incline_deg(pf, ctx) > 80
    assert trunk_incline_deg(true_pose_frame(sitting, _side_cam(), 0.0), ctx) < 5
    # The hands rest on the floor in front of the head.
    assert folded.joints["left_wrist"][2] < 0.12
    assert folded.joints["left_wrist"][0] > folded.joints["nose"][0]


def test_bouncing_and_too_fast_scripts_mark_their_faults() -> None:
    bounce = ClipSpec("b", "hip_flexor_kneeling_stretch", "side", 3, "bouncing", 6.0).script()
    faults = [iv for iv in bounce.timeline.intervals if iv.kind == "fault"]
    holds = [iv for iv in bounce.timeline.intervals if iv.kind == "hold"]
    assert [h.side for h in holds] == ["left", "right"]
    assert len(faults) == 2 and all(f.rule == "no_bouncing" for f in faults)
    for f, h in zip(faults, holds, strict=True):
        assert h.start_s < f.start_s < f.end_s < h.end_s
    fast = ClipSpec("f", "hip_hinge", "side", 3, "too_fast", 1.2).script()
    reps = [iv for iv in fast.timeline.intervals if iv.kind == "rep"]
    flagged = [iv for iv in fast.timeline.intervals if iv.rule == "too_fast"]
    assert [round(r.end_s - r.start_s, 6) for r in reps[1:]] == [1.2, 1.2]
    assert [(f.start_s, f.end_s) for f in flagged] == [(r.start_s, r.end_s) for r in reps[1:]]


@pytest.mark.parametrize("crossed", ["left", "right"])
def test_sitting_keeps_the_feet_on_the_floor_and_the_hips_on_the_seat(crossed: str) -> None:
    support = "left" if crossed == "right" else "right"
    seat = poses.stool_under()
    for cross in (0.0, 0.5, 1.0):
        b = poses.sit(crossed=crossed, cross=cross, lean_deg=40 * cross)
        j = b.joints
        for side in ("left", "right"):
            assert _dist(j[f"{side}_hip"], j[f"{side}_knee"]) == pytest.approx(SIZE.thigh)
            assert _dist(j[f"{side}_knee"], j[f"{side}_ankle"]) == pytest.approx(SIZE.shank)
            # The buttock (the hip capsule, radius 0.1) rests on the seat top.
            assert j[f"{side}_hip"][2] - 0.1 == pytest.approx(seat.height_m, abs=0.01)
        # The supporting foot stays flat on the floor.
        assert j[f"{support}_heel"][2] == pytest.approx(j[f"{support}_foot_index"][2])
        assert j[f"{support}_heel"][2] < 0.03
    j = poses.sit(crossed=crossed, cross=1.0).joints
    # The crossed ankle rests on top of the other knee, its knee fallen out to its own side.
    assert _dist(j[f"{crossed}_ankle"], j[f"{support}_knee"]) < 0.13
    assert j[f"{crossed}_ankle"][2] > j[f"{support}_knee"][2] + 0.08
    sg = 1.0 if crossed == "left" else -1.0
    assert sg * j[f"{crossed}_knee"][1] > 0.25
    pf = true_pose_frame(poses.sit(crossed=crossed, cross=1.0), _side_cam(), 0.0)
    assert crossed_leg_side(pf, "side") == crossed


@pytest.mark.parametrize("lean", [0.0, 40.0])
def test_sitting_lean_is_the_trunk_incline_and_the_hips_stay_bent(lean: float) -> None:
    b = poses.sit(crossed="right", cross=1.0, lean_deg=lean)
    pf = true_pose_frame(b, _side_cam(), 0.0)
    ctx = SignalContext("side", "right")
    assert trunk_incline_deg(pf, ctx) == pytest.approx(lean, abs=3.0)
    # Sitting passes the seated spec's readiness (hips bent past 60 deg) upright and leaning.
    assert max_hip_flexion_deg(pf, ctx) > 75 + lean


@pytest.mark.parametrize("view", ["side", "diagonal", "front"])
def test_the_stool_never_hides_the_hips(view: str) -> None:
    script = ClipSpec("s", "seated_figure_four_stretch", view, 1).script()
    assert script.seat is not None
    body = script.pose_at(script.timeline.at(0.0))
    cam = _camera(script, body, 480, 360)
    bg = background(cam, seat=script.seat)
    img = draw(bg, cam, body)
    pf = true_pose_frame(body, cam, 0.0)
    # The stool is drawn into the background, the figure over it: at the hip landmarks the
    # picture is the figure (trousers, or a hand resting on the thigh), never the seat.
    for name in ("left_hip", "right_hip"):
        x, y = np.round(pf.xy(name)).astype(int)
        assert np.abs(img[y, x].astype(int) - bg[y, x].astype(int)).sum() > 60, name
    # The stool is in the picture.
    assert (np.abs(bg.astype(int) - background(cam).astype(int)).sum(axis=2) > 30).sum() > 200


def test_seated_figure_four_script_holds_both_sides_in_the_lean_band() -> None:
    script = ClipSpec("s", "seated_figure_four_stretch", "side", 4, "bouncing", 8.0).script()
    tl = script.timeline
    holds = [iv for iv in tl.intervals if iv.kind == "hold"]
    faults = [iv for iv in tl.intervals if iv.kind == "fault"]
    assert [h.side for h in holds] == ["right", "left"]
    assert len(faults) == 2 and all(f.rule == "no_bouncing" for f in faults)
    for f, h in zip(faults, holds, strict=True):
        assert h.start_s < f.start_s < f.end_s < h.end_s
        # Mid-hold the lean is past the spec's 30 deg band, even at the bottom of a bounce.
        for t in np.arange(h.start_s + 2.0, h.end_s - 0.2, 0.05):
            p = tl.at(float(t))
            p["_t"] = float(t)
            pf = true_pose_frame(script.pose_at(p), _side_cam(), float(t))
            assert trunk_incline_deg(pf, SignalContext("side", str(h.side))) > 30


@pytest.mark.parametrize("down_side", ["left", "right"])
def test_side_lying_diagonal_camera_looks_from_in_front_toward_the_feet(down_side: str) -> None:
    script = ClipSpec("c", "clamshell", "diagonal", 1, options={"down_side": down_side}).script()
    body = script.pose_at(script.timeline.at(0.0))
    cam = _camera(script, body, 480, 360)
    to_cam = np.array(cam.position) - np.array(cam.target)
    to_cam[2] = 0.0
    to_cam /= np.linalg.norm(to_cam)
    front = body.thorax_rot[:, 0] * np.array([1.0, 1.0, 0.0])
    feet = -body.pelvis_rot[:, 2] * np.array([1.0, 1.0, 0.0])
    assert float(to_cam @ front) / np.linalg.norm(front) == pytest.approx(math.sqrt(0.5), abs=0.02)
    assert float(to_cam @ feet) / np.linalg.norm(feet) == pytest.approx(math.sqrt(0.5), abs=0.02)


@pytest.mark.parametrize("down_side", ["left", "right"])
@pytest.mark.parametrize(
    ("placement", "front_share", "head_share"),
    [
        # the laptop beyond the head, looking along the body to the feet
        (HEAD_END, 0.0, 1.0),
        # half-way between in front and the head end
        (HEAD_DIAGONAL, math.sqrt(0.5), math.sqrt(0.5)),
    ],
)
def test_side_lying_head_end_cameras_look_along_the_body(
    down_side: str, placement: str, front_share: float, head_share: float
) -> None:
    script = ClipSpec("c", "clamshell", placement, 1, options={"down_side": down_side}).script()
    body = script.pose_at(script.timeline.at(0.0))
    cam = _camera(script, body, 480, 360)
    to_cam = np.array(cam.position) - np.array(cam.target)
    to_cam[2] = 0.0
    to_cam /= np.linalg.norm(to_cam)
    front = body.thorax_rot[:, 0] * np.array([1.0, 1.0, 0.0])
    head = body.pelvis_rot[:, 2] * np.array([1.0, 1.0, 0.0])
    assert float(to_cam @ front) / np.linalg.norm(front) == pytest.approx(front_share, abs=0.02)
    assert float(to_cam @ head) / np.linalg.norm(head) == pytest.approx(head_share, abs=0.02)


def test_head_end_placements_are_for_side_lying_and_read_as_front_or_diagonal() -> None:
    assert (seen_view(HEAD_END), seen_view(HEAD_DIAGONAL), seen_view("side")) == (
        "front",
        "diagonal",
        "side",
    )
    with pytest.raises(ValueError, match="unknown camera placement 'feet'"):
        seen_view("feet")
    script = ClipSpec("h", "hip_hinge", HEAD_END, 1).script()
    with pytest.raises(ValueError, match="for side-lying scripts, not hip_hinge"):
        _camera(script, script.pose_at(script.timeline.at(0.0)), 480, 360)


def test_generated_set_is_fixed_and_covers_every_script_and_fault() -> None:
    from formcheck.specs.loader import load_spec
    from tools.synth.catalog import GENERATED_SEED, SWEEPS, generated_specs, views_specs

    specs = generated_specs()
    assert 25 <= len(specs) <= 35
    assert [s.seed for s in specs] == list(range(GENERATED_SEED, GENERATED_SEED + len(specs)))
    assert len({s.name for s in specs}) == len(specs)
    # Every script is rendered in the generated set, or (the standing stretches) in the views set.
    views = views_specs()
    assert {s.exercise for s in specs} | {s.exercise for s in views} == set(scripts.SCRIPTS)
    assert len({s.name for s in views}) == len(views)
    assert {s.fault for s in specs} - {None} == set(SWEEPS)
    for s in specs:
        # Faults are injected in views their spec names; a clean clip may be in a view the spec
        # does not name, to check it is still counted and timed (tests/test_generated_set.py).
        if s.fault is not None:
            assert s.view in load_spec(s.exercise).camera.views, s.name
    unlisted = {s.name for s in specs if s.view not in load_spec(s.exercise).camera.views}
    assert unlisted and all(s.fault is None for s in specs if s.name in unlisted)
    assert generated_specs() == specs


def test_childs_pose_bounce_rises_out_of_the_fold_at_its_frequency() -> None:
    script = ClipSpec("b", "childs_pose", "side", 5, "bouncing", 8.0).script()
    tl = script.timeline
    (fault,) = [iv for iv in tl.intervals if iv.kind == "fault"]
    cam = _side_cam()
    ctx = SignalContext("side", "left")

    def incline(t: float) -> float:
        p = tl.at(t)
        p["_t"] = t
        return trunk_incline_deg(true_pose_frame(script.pose_at(p), cam, t), ctx)

    still = tl.at(fault.start_s - 0.5)
    still["_t"] = 0.0  # no bounce phase: the held fold
    held = trunk_incline_deg(true_pose_frame(script.pose_at(still), cam, 0.0), ctx)
    mid = (fault.start_s + fault.end_s) / 2
    values = np.array([incline(float(t)) for t in np.arange(mid - 0.5, mid + 0.5, 0.01)])
    # Never deeper than the hold; the trunk rises up to ~16 deg out of it, once a second (1 Hz).
    assert values.max() < held + 0.5
    assert 10 < held - values.min() < 20
    for t in np.arange(mid - 0.5, mid, 0.1):
        assert incline(float(t)) == pytest.approx(incline(float(t) + 1.0), abs=0.5)
