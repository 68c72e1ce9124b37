"""Whole-body postures from a few joint angles: standing squat/hinge, lying on the back, lying on
the side, kneeling and sitting. Each returns a :class:`Body` standing or lying on the floor.

Conventions: ``facing_deg`` is the direction the body faces (standing) or its head points
(lying), measured in the floor plane from the world x axis toward y.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.synth.body import (
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


def supine(
    head_deg: float = 0.0,
    hip_flex: dict[str, float] | None = None,
    knee_flex: dict[str, float] | None = None,
    bridge_deg: float = 0.0,
    pelvis_twist_deg: float = 0.0,
    pelvis_lift_deg: float = 0.0,
    legs: dict[str, LegPose] | None = None,
    arms: dict[str, ArmPose] | None = None,
    neck_flex_deg: float = 10.0,
    where: tuple[float, float] = (0.0, 0.0),
    anchor: str = "neck_base",
) -> Body:
    """Lying on the back, head toward ``head_deg``.

    ``bridge_deg`` raises the pelvis off the floor by pitching the trunk about the shoulders;
    ``pelvis_lift_deg`` tilts only the pelvis up (the fault of a stretch), ``pelvis_twist_deg``
    rolls it about the body's long axis. Leg angles are relative to the pelvis.
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

    def make(pitch_deg: float, leg_poses: dict[str, LegPose]) -> Body:
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
    where: tuple[float, float] = (0.0, 0.0),
) -> Body:
    """Lying on ``down_side`` with the knees bent (clamshell start), head toward ``head_deg``.

    ``open_deg`` lifts the top knee about the hip-ankle line; ``roll_back_deg`` rolls the pelvis
    (and half as much the chest) backward, the top hip moving behind the bottom one.
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
            hip_abd_deg=0.0 if side != top else -4.0,
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
