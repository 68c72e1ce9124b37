"""Whole-body postures from a few joint angles: standing squat/hinge, lying on the back, lying on
the side, kneeling and sitting. Each returns a :class:`Body` standing or lying on the floor.

Conventions: ``facing_deg`` is the direction the body faces (standing) or its head points
(lying), measured in the floor plane from the world x axis toward y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tools.synth.body import (
    SIZE,
    ArmPose,
    Body,
    LegPose,
    Pose,
    Vec,
    build,
    lowest_z,
    rot_x,
    rot_y,
    rot_z,
    translate,
    unit,
)


def _settle(body: Body, anchor_xy: Vec, anchor: str) -> Body:
    """Put the lowest surface on the floor and ``anchor`` (a joint or the ankle midpoint) over
    ``anchor_xy``."""
    j = body.joints
    ref = (j["left_ankle"] + j["right_ankle"]) / 2 if anchor == "feet" else j[anchor]
    d = np.array([anchor_xy[0] - ref[0], anchor_xy[1] - ref[1], -lowest_z(body)])
    return translate(body, d)


def stand(
    facing_deg: float = 0.0,
    knee_flex_deg: float = 3.0,
    trunk_pitch_deg: float = 0.0,
    shank_share: float = 0.4,
    stance_half_m: float = 0.06,
    toe_out_deg: float = 8.0,
    valgus_deg: float = 0.0,
    thoracic_flex_deg: float = 0.0,
    neck_flex_deg: float = 0.0,
    lumbar_flex_deg: float = 0.0,
    arms: dict[str, ArmPose] | None = None,
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Standing with the feet flat: squat or hinge by the knee bend and the pelvis pitch.

    The knee bend splits between the shank tipping forward (``shank_share``) and the thigh, so the
    feet stay planted and the hips travel back as they sink. ``valgus_deg`` turns each knee toward
    the midline about its hip-ankle line.
    """
    s = SIZE
    shank_deg = shank_share * knee_flex_deg
    thigh_deg = knee_flex_deg - shank_deg  # thigh forward of vertical
    abd = math.degrees(math.atan2(stance_half_m - s.hip_half_width, s.thigh + s.shank)) * -1
    abd = -abd
    legs = {}
    base = rot_z(facing_deg)
    for side in ("left", "right"):
        sg = 1.0 if side == "left" else -1.0
        fdir = base @ np.array(
            [math.cos(math.radians(toe_out_deg)), sg * math.sin(math.radians(toe_out_deg)), 0.0]
        )
        legs[side] = LegPose(
            hip_flex_deg=thigh_deg + trunk_pitch_deg,
            hip_abd_deg=abd,
            knee_flex_deg=knee_flex_deg,
            open_deg=-valgus_deg,
            foot="flat",
            foot_dir=fdir,
        )
    pose = Pose(
        pelvis=np.zeros(3),
        pelvis_rot=base @ rot_y(trunk_pitch_deg),
        lumbar_flex_deg=lumbar_flex_deg,
        thoracic_flex_deg=thoracic_flex_deg,
        neck_flex_deg=neck_flex_deg,
        legs=legs,
        arms=arms or {"left": ArmPose(), "right": ArmPose()},
    )
    return _settle(build(pose), np.array(where), "feet")


def stand_on_one_leg(
    facing_deg: float = 0.0,
    bent: str = "left",
    knee_flex_deg: float = 3.0,
    thigh_back_deg: float = 0.0,
    grab: float = 0.0,
    trunk_pitch_deg: float = 0.0,
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Standing on one leg, the other (``bent``) knee folding behind: a standing quad stretch.

    The bent thigh swings ``thigh_back_deg`` behind vertical; ``grab`` (0..1) takes that side's
    hand from hanging at the side to holding the ankle. The other arm hangs a little out, for
    balance. The trunk leans forward by ``trunk_pitch_deg``.
    """
    base = rot_z(facing_deg)
    fwd = base[:, 0]
    support = "right" if bent == "left" else "left"
    legs = {
        bent: LegPose(
            hip_flex_deg=trunk_pitch_deg - thigh_back_deg,
            hip_abd_deg=2.0,
            knee_flex_deg=knee_flex_deg,
            foot="shank",
            ankle_flex_deg=-25.0,  # the foot points back, as when it is held
        ),
        support: LegPose(
            hip_flex_deg=trunk_pitch_deg,
            hip_abd_deg=3.0,
            knee_flex_deg=3.0,
            foot="flat",
            foot_dir=fwd,
        ),
    }
    arms = {
        bent: ArmPose(shoulder_flex_deg=0.0, shoulder_abd_deg=10.0, elbow_flex_deg=10.0),
        support: ArmPose(shoulder_flex_deg=5.0, shoulder_abd_deg=25.0, elbow_flex_deg=15.0),
    }
    pose = Pose(pelvis=np.zeros(3), pelvis_rot=base @ rot_y(trunk_pitch_deg), legs=legs, arms=arms)
    body = build(pose)
    if grab > 0:
        hanging = body.joints[f"{bent}_wrist"]
        sg = 1.0 if bent == "left" else -1.0
        # The hand closes round the front of the ankle, just outside it.
        ankle = body.joints[f"{bent}_ankle"] + base[:, 1] * sg * 0.04
        w = min(grab, 1.0)
        arms[bent] = ArmPose(
            wrist=hanging + (ankle - hanging) * w, pole=unit(-fwd + 0.3 * base[:, 1] * sg)
        )
        body = build(pose)
    return _settle(body, np.array(where), f"{support}_ankle")


def stand_split(
    facing_deg: float = 0.0,
    back: str = "left",
    front_m: float = 0.15,
    back_m: float = 0.25,
    drop_m: float = 0.0,
    trunk_pitch_deg: float = 0.0,
    reach: float = 0.0,
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Standing with one foot stepped back, both feet flat: a wall calf stretch or a standing
    hip-flexor stretch.

    The front ankle is ``front_m`` ahead of the hips and the ``back`` one ``back_m`` behind them;
    the hips stand as high as the back leg reaches straight, less ``drop_m`` (the front knee then
    bends more; so does the back one). The trunk leans forward by ``trunk_pitch_deg`` and
    ``reach`` (0..1) raises the hands forward to shoulder height, as onto a wall.
    """
    s = SIZE
    base = rot_z(facing_deg)
    fwd, up = base[:, 0], np.array([0.0, 0.0, 1.0])
    leg = s.thigh + s.shank
    height = math.sqrt(max(leg**2 - back_m**2, 0.0)) * 0.995 - drop_m
    legs: dict[str, LegPose] = {}
    for side in ("left", "right"):
        sg = 1.0 if side == "left" else -1.0
        along = -back_m if side == back else front_m
        ankle = fwd * along + base[:, 1] * sg * s.hip_half_width - up * height
        legs[side] = LegPose(
            ankle=ankle,
            pole=unit(fwd + 0.2 * up),
            foot="flat",
            foot_dir=base @ np.array([1.0, sg * 0.1, 0.0]),
        )
    arm = ArmPose(
        shoulder_flex_deg=80.0 * reach, shoulder_abd_deg=10.0, elbow_flex_deg=10.0 + 20.0 * reach
    )
    pose = Pose(
        pelvis=np.zeros(3),
        pelvis_rot=base @ rot_y(trunk_pitch_deg),
        legs=legs,
        arms={"left": arm, "right": arm},
    )
    return _settle(build(pose), np.array(where), "feet")


def supine(
    head_deg: float = 0.0,
    hip_flex: dict[str, float] | None = None,
    knee_flex: dict[str, float] | None = None,
    bridge_deg: float = 0.0,
    pelvis_twist_deg: float = 0.0,
    pelvis_lift_deg: float = 0.0,
    hip_rise_m: float = 0.0,
    legs: dict[str, LegPose] | None = None,
    arms: dict[str, ArmPose] | None = None,
    neck_flex_deg: float = 10.0,
    where: tuple[float, float] = (0.0, 0.0),
    anchor: str = "neck_base",
) -> Body:
    """Lying on the back, head toward ``head_deg``.

    ``bridge_deg`` raises the pelvis off the floor by pitching the trunk about the shoulders
    (the feet stay planted); ``hip_rise_m`` does the same by about that height without planting
    the feet, the legs keeping their angles to the pelvis (lifting the hips while holding a
    stretch); ``pelvis_lift_deg`` tilts only the pelvis (the lumbar spine takes it up, the hip
    joints stay down); ``pelvis_twist_deg`` rolls the pelvis about the body's long axis against
    the shoulders. Leg angles are relative to the pelvis.
    """
    # Body up (z) along the floor toward the head, body forward (x) toward the ceiling.
    base = rot_z(head_deg) @ rot_y(-90.0)
    hip_flex = hip_flex or {"left": 0.0, "right": 0.0}
    knee_flex = knee_flex or {"left": 3.0, "right": 3.0}
    toward_feet = -base[:, 2]
    if legs is None:
        legs = {
            s: LegPose(
                hip_flex_deg=hip_flex[s],
                hip_abd_deg=3.0,
                knee_flex_deg=knee_flex[s],
                ankle_flex_deg=10.0,
            )
            for s in ("left", "right")
        }
    arms = arms or {"left": ArmPose(shoulder_abd_deg=20), "right": ArmPose(shoulder_abd_deg=20)}

    # The hips rise on an arc about the shoulders (hip joint to the base of the neck ~0.51 m).
    reach = SIZE.lumbar + SIZE.thorax
    rise_deg = math.degrees(math.asin(min(max(hip_rise_m / reach, -1.0), 1.0)))

    def make(pitch_deg: float, leg_poses: dict[str, LegPose]) -> Body:
        pitch_deg += rise_deg
        return build(
            Pose(
                pelvis=np.zeros(3),
                pelvis_rot=base @ rot_y(-pitch_deg) @ rot_z(pelvis_twist_deg),
                # The chest stays on the floor: the lumbar spine takes up the pelvis's own tilt.
                lumbar_flex_deg=pelvis_lift_deg,
                trunk_twist_deg=-pelvis_twist_deg,
                neck_flex_deg=neck_flex_deg,
                legs=leg_poses,
                arms=arms,
            )
        )

    if bridge_deg:
        # Shoulders and feet stay where they were lying flat; the pelvis rises between them and
        # the legs reach their planted ankles (two-link IK, knees toward the ceiling).
        flat = make(pelvis_lift_deg, legs)
        raised = make(bridge_deg + pelvis_lift_deg, legs)
        shift = raised.joints["neck_base"] - flat.joints["neck_base"]
        legs = {
            s: LegPose(
                ankle=flat.joints[f"{s}_ankle"] + shift,
                pole=base[:, 0],
                foot="flat",
                foot_dir=toward_feet,
            )
            for s in ("left", "right")
        }
        body = make(bridge_deg + pelvis_lift_deg, legs)
    else:
        body = make(pelvis_lift_deg, legs)
    return _settle(body, np.array(where), anchor)


def side_lying(
    head_deg: float = 0.0,
    down_side: str = "left",
    hip_flex_deg: float = 45.0,
    knee_flex_deg: float = 90.0,
    open_deg: float = 0.0,
    roll_back_deg: float = 0.0,
    feet_apart_deg: float = 0.0,
    lift_deg: float = 0.0,
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Lying on ``down_side`` with the knees bent (clamshell start), head toward ``head_deg``.

    ``open_deg`` lifts the top knee about the hip-ankle line; ``roll_back_deg`` rolls the pelvis
    (and half as much the chest) backward, the top hip moving behind the bottom one;
    ``lift_deg`` abducts the whole top leg at the hip, toward the ceiling (a side-lying leg
    raise, with the hip and knee angles given for both legs: near 0 for straight legs).
    """
    sg = 1.0 if down_side == "left" else -1.0
    top = "right" if down_side == "left" else "left"
    # Body up along the floor toward the head, the down side's lateral axis toward the floor.
    base = rot_z(head_deg) @ rot_x(-90.0 * sg) @ rot_z(0.0)
    base = rot_z(head_deg) @ _lay_on_side(sg)
    # Rolling back turns the top hip toward the body's back (-forward).
    roll = rot_z(sg * roll_back_deg)
    legs = {}
    for side in ("left", "right"):
        legs[side] = LegPose(
            hip_flex_deg=hip_flex_deg,
            hip_abd_deg=0.0 if side != top else -4.0 + lift_deg,
            knee_flex_deg=knee_flex_deg,
            ankle_flex_deg=15.0,
            open_deg=(open_deg + feet_apart_deg) if side == top else 0.0,
        )
    pose = Pose(
        pelvis=np.zeros(3),
        pelvis_rot=base @ roll,
        trunk_twist_deg=-sg * roll_back_deg * 0.5,
        neck_flex_deg=5.0,
        legs=legs,
        arms={
            down_side: ArmPose(shoulder_flex_deg=100, shoulder_abd_deg=0, elbow_flex_deg=120),
            top: ArmPose(shoulder_flex_deg=30, shoulder_abd_deg=-10, elbow_flex_deg=70),
        },
    )
    body = build(pose)
    return _settle(body, np.array(where), "pelvis")


def _lay_on_side(sg: float) -> Vec:
    """Body frame lying on its left (sg=+1) or right (sg=-1) side: up along world +x, the down
    side's lateral axis along world -z, forward along world -+y."""
    up = np.array([1.0, 0, 0])
    lateral_down = np.array([0, 0, -1.0])
    left = lateral_down if sg > 0 else -lateral_down
    fwd = np.cross(left, up)
    return np.column_stack([fwd, left, up])


def heading(body: Body) -> tuple[Vec, Vec]:
    """Horizontal forward and left directions of the pelvis (for camera placement)."""
    r = body.pelvis_rot
    return unit(np.array([r[0, 0], r[1, 0], 0.0]) + 1e-9), unit(
        np.array([r[0, 1], r[1, 1], 0.0]) + 1e-9
    )


_KNEE_PAD_M = 0.055  # knee joint centre above the floor when kneeling on it
# Ankle centre above the floor with the foot lying on it (the heel/toe points sit 0.8 of the
# ankle height below the ankle, plus their 2 cm radius).
_FOOT_DOWN_M = 0.8 * SIZE.ankle_height + 0.02


def half_kneel(
    facing_deg: float = 0.0,
    forward: dict[str, float] | None = None,
    lunge_deg: float = 0.0,
    trunk_pitch_deg: float = 0.0,
    front_foot_m: float = 0.47,
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Kneeling on one or both knees, the trunk upright (half-kneeling hip-flexor stretch).

    ``forward[side]`` in 0..1 brings that leg from kneeling (0: knee on the floor, shin flat
    behind, toes pointing back) to standing on its foot in front (1: foot flat ``front_foot_m``
    ahead of the kneeling knee, which puts that knee near 90 deg); in between the foot swings
    through the air. ``lunge_deg`` presses the hips forward: the kneeling thigh tips back by
    that much from vertical about its knee (the hip extends, stretching its front). The trunk
    leans forward by ``trunk_pitch_deg``.
    """
    s = SIZE
    forward = forward or {"left": 0.0, "right": 1.0}
    base = rot_z(facing_deg)
    fwd, up = base[:, 0], np.array([0.0, 0.0, 1.0])
    pelvis_rot = base @ rot_y(trunk_pitch_deg)
    # Pelvis-relative geometry (pelvis at the origin): the kneeling knees sit a thigh length
    # below and ``lunge`` behind; the floor is a knee pad below them.
    lunge = math.radians(lunge_deg)
    knee_rel = -s.thigh * math.sin(lunge) * fwd - s.thigh * math.cos(lunge) * up
    floor_z = float(knee_rel[2]) - _KNEE_PAD_M
    legs: dict[str, LegPose] = {}
    for side in ("left", "right"):
        sg = 1.0 if side == "left" else -1.0
        lat = base[:, 1] * sg * s.hip_half_width
        # Kneeling: the shin on the floor behind the knee, the foot lying flat behind it.
        knee_ankle = knee_rel + lat - s.shank * 0.995 * fwd
        knee_ankle[2] = floor_z + _FOOT_DOWN_M
        front_ankle = knee_rel + lat + front_foot_m * fwd
        front_ankle[2] = floor_z + s.ankle_height
        w = min(max(forward.get(side, 0.0), 0.0), 1.0)
        target = knee_ankle * (1 - w) + front_ankle * w + up * 0.18 * math.sin(math.pi * w)
        legs[side] = LegPose(
            ankle=target,
            pole=unit(fwd - 0.6 * up) if w < 0.5 else unit(fwd + 0.3 * up),
            foot="flat",
            foot_dir=base @ np.array([1.0, sg * 0.1, 0.0]) if w >= 0.5 else -fwd,
        )
    pose = Pose(
        pelvis=np.zeros(3),
        pelvis_rot=pelvis_rot,
        legs=legs,
        arms={
            "left": ArmPose(shoulder_flex_deg=5, shoulder_abd_deg=12, elbow_flex_deg=25),
            "right": ArmPose(shoulder_flex_deg=5, shoulder_abd_deg=12, elbow_flex_deg=25),
        },
    )
    body = build(pose)
    return _settle_at(body, floor_z, np.array(where))


def kneel_fold(
    facing_deg: float = 0.0,
    fold_deg: float = 0.0,
    sit_back_deg: float = 62.0,
    spine_round_deg: float = 0.0,
    reach: float = 0.0,
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Kneeling sitting back toward the heels (child's pose).

    ``sit_back_deg``: the thighs forward of vertical (62 sits the hips over the heels, smaller
    lifts the hips toward hands-and-knees). ``fold_deg``: the pelvis pitches forward over the
    thighs; ``spine_round_deg`` is shared by the lumbar and thoracic spine and the neck.
    ``reach`` 0..1 brings the hands from the thighs to the floor far in front.
    """
    s = SIZE
    base = rot_z(facing_deg)
    fwd, up = base[:, 0], np.array([0.0, 0.0, 1.0])
    pelvis_rot = base @ rot_y(fold_deg)
    a = math.radians(sit_back_deg)
    knee_rel = s.thigh * math.sin(a) * fwd - s.thigh * math.cos(a) * up
    floor_z = float(knee_rel[2]) - _KNEE_PAD_M
    legs: dict[str, LegPose] = {}
    for side in ("left", "right"):
        sg = 1.0 if side == "left" else -1.0
        lat = base[:, 1] * sg * (s.hip_half_width + 0.02)
        ankle = knee_rel + lat - s.shank * 0.99 * fwd
        ankle[2] = floor_z + _FOOT_DOWN_M
        legs[side] = LegPose(ankle=ankle, pole=unit(fwd + 0.2 * up), foot="flat", foot_dir=-fwd)
    pose = Pose(
        pelvis=np.zeros(3),
        pelvis_rot=pelvis_rot,
        lumbar_flex_deg=0.35 * spine_round_deg,
        thoracic_flex_deg=0.35 * spine_round_deg,
        neck_flex_deg=0.3 * spine_round_deg,
        legs=legs,
    )
    rough = build(pose)
    arms: dict[str, ArmPose] = {}
    for side in ("left", "right"):
        sg = 1.0 if side == "left" else -1.0
        lat = base[:, 1] * sg * 0.2
        on_thigh = rough.joints[f"{side}_knee"] + 0.1 * up - 0.12 * fwd
        on_floor = rough.joints[f"{side}_shoulder"] + 0.5 * fwd + lat
        on_floor[2] = floor_z + 0.03
        wrist = on_thigh * (1 - reach) + on_floor * reach + up * 0.12 * math.sin(math.pi * reach)
        arms[side] = ArmPose(wrist=wrist, pole=unit(-fwd * (1 - reach) + up * reach + 0.3 * lat))
    pose.arms = arms
    body = build(pose)
    return _settle_at(body, floor_z, np.array(where))


def _settle_at(body: Body, floor_z: float, anchor_xy: Vec) -> Body:
    """Kneeling: the knees rest on the floor at ``floor_z`` (pelvis frame) whatever else does; a
    part that would go through the floor (the head in a deep fold) lifts the whole body."""
    lift = max(0.0, floor_z - lowest_z(body))
    ref = body.joints["pelvis"]
    return translate(
        body, np.array([anchor_xy[0] - ref[0], anchor_xy[1] - ref[1], -floor_z + lift])
    )


# -- sitting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """A stool: a square top on four legs, its top surface ``height_m`` above the floor.

    ``center_xy`` is the middle of the top; ``facing_deg`` the direction its front edge faces
    (the sitter's forward). Drawn into the background by :func:`tools.synth.render.background`.
    """

    center_xy: tuple[float, float]
    facing_deg: float = 0.0
    height_m: float = 0.44
    half_width_m: float = 0.2  # side to side
    half_depth_m: float = 0.18  # front to back
    top_m: float = 0.045  # thickness of the top
    leg_m: float = 0.035  # legs' square cross-section


# Hip-joint centres above the seat surface: the buttock (the renderer's hip capsule, radius 0.1)
# rests on the top, compressed a little.
_SIT_HIP_M = 0.095
# The seat's middle sits this far behind the hip joints: the sit bones are behind the hips and a
# sitter perches on the front half of a stool.
_SEAT_BEHIND_HIP_M = 0.06


def stool_under(facing_deg: float = 0.0, where: tuple[float, float] = (0.0, 0.0)) -> Seat:
    """The stool a figure sitting with :func:`sit` at ``where`` (its hip midpoint) sits on."""
    fwd = rot_z(facing_deg)[:, 0]
    c = np.array(where) - _SEAT_BEHIND_HIP_M * fwd[:2]
    return Seat((float(c[0]), float(c[1])), facing_deg)


def sit(
    facing_deg: float = 0.0,
    lean_deg: float = 0.0,
    slouch_deg: float = 0.0,
    crossed: str = "right",
    cross: float = 0.0,
    feet_forward_m: float = 0.42,
    seat_height_m: float = 0.44,
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Sitting on a stool (:func:`stool_under`), feet flat on the floor.

    ``lean_deg`` leans the trunk forward from the hips with a straight back (the pelvis pitches
    over the thighs); ``slouch_deg`` rounds the lumbar and thoracic spine (sitting slumped).
    ``cross`` 0..1 lifts the ``crossed`` leg from its foot on the floor to resting that ankle on
    the other knee, its knee falling out to its own side (the seated figure-four); the hands move
    from the thighs to the crossed knee and ankle with it. The hip midpoint is at ``where``,
    ``seat_height_m`` + :data:`_SIT_HIP_M` above the floor.
    """
    s = SIZE
    base = rot_z(facing_deg)
    fwd, lat_left, up = base[:, 0], base[:, 1], np.array([0.0, 0.0, 1.0])
    pelvis = np.array([where[0], where[1], seat_height_m + _SIT_HIP_M])
    support = "left" if crossed == "right" else "right"
    c = min(max(cross, 0.0), 1.0)

    def planted(side: str) -> Vec:
        sg = 1.0 if side == "left" else -1.0
        ankle = pelvis + feet_forward_m * fwd + sg * (s.hip_half_width + 0.03) * lat_left
        ankle[2] = s.ankle_height
        return ankle

    def floor_leg(side: str) -> LegPose:
        sg = 1.0 if side == "left" else -1.0
        return LegPose(
            ankle=planted(side),
            pole=unit(fwd + 0.5 * up),
            foot="flat",
            foot_dir=base @ np.array([1.0, sg * 0.12, 0.0]),
        )

    pelvis_rot = base @ rot_y(lean_deg)
    legs = {side: floor_leg(side) for side in ("left", "right")}
    rough = build(Pose(pelvis=pelvis, pelvis_rot=pelvis_rot, legs=legs))
    knee = rough.joints[f"{support}_knee"]
    out = lat_left * (1.0 if crossed == "left" else -1.0)  # toward the crossed leg's own side
    # The outer ankle bone rests on top of the supporting thigh just behind the knee (thigh and
    # ankle radii apart); on the way the foot lifts in an arc clear of the other knee.
    on_knee = knee + 0.105 * up + 0.03 * out - 0.05 * fwd
    ankle = planted(crossed) * (1 - c) + on_knee * c + up * 0.15 * math.sin(math.pi * c)
    legs[crossed] = LegPose(
        ankle=ankle,
        pole=unit((1 - c) * (fwd + 0.5 * up) + c * (out + 0.05 * up)),
        foot="flat",
        # The crossed foot points across the supporting thigh toward the other side.
        foot_dir=unit((1 - c) * fwd - c * out),
    )
    crossed_knee = build(Pose(pelvis=pelvis, pelvis_rot=pelvis_rot, legs=legs)).joints[
        f"{crossed}_knee"
    ]
    arms: dict[str, ArmPose] = {}
    for side in ("left", "right"):
        sg = 1.0 if side == "left" else -1.0
        own_knee = rough.joints[f"{side}_knee"]
        on_thigh = own_knee - 0.14 * fwd + 0.075 * up + sg * 0.02 * lat_left
        held = crossed_knee + 0.07 * up if side == crossed else ankle + 0.06 * up - 0.04 * out
        arms[side] = ArmPose(
            wrist=on_thigh * (1 - c) + held * c,
            pole=unit(-fwd + sg * 0.6 * lat_left - 0.3 * up),
        )
    pose = Pose(
        pelvis=pelvis,
        pelvis_rot=pelvis_rot,
        lumbar_flex_deg=0.5 * slouch_deg,
        thoracic_flex_deg=0.5 * slouch_deg,
        neck_flex_deg=0.2 * slouch_deg,
        legs=legs,
        arms=arms,
    )
    return build(pose)
