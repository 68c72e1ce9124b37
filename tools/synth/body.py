"""The rendered figure's skeleton: segment sizes, joint placement by forward and inverse kinematics.

World frame: metres, z up, the floor is z = 0. A body frame is a rotation matrix whose columns are
the body's forward (x), left (y) and up (z) directions. Joint rotations follow one rule: flexion of
the trunk or neck turns "up" toward "forward"; flexion of the hip or shoulder turns "down" toward
"forward"; knee flexion turns the shank backward; elbow flexion turns the forearm forward.

Every pose is a dict of named 3D joint centres (``Joints``) plus the frames the renderer needs to
draw the head, trunk and feet. Names follow :mod:`formcheck.landmarks` where a landmark exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Vec = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BodySize:
    """Segment lengths and half-widths of an adult about 1.74 m tall (metres)."""

    hip_half_width: float = 0.09
    thigh: float = 0.43
    shank: float = 0.42
    ankle_height: float = 0.075
    heel_back: float = 0.06
    toe_front: float = 0.19
    lumbar: float = 0.21  # hip-joint centre to the thoraco-lumbar junction
    thorax: float = 0.30  # to the base of the neck (C7)
    shoulder_half_width: float = 0.18
    shoulder_drop: float = 0.04
    neck: float = 0.075
    head_center_up: float = 0.095  # above the top of the neck
    head_radius: float = 0.10
    upper_arm: float = 0.30
    forearm: float = 0.26
    hand: float = 0.17


SIZE = BodySize()


def rot_x(deg: float) -> Vec:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> Vec:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


def rot_z(deg: float) -> Vec:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def rotate_about(p: Vec, origin: Vec, axis: Vec, deg: float) -> Vec:
    """Rotate point ``p`` about the line through ``origin`` along ``axis`` (Rodrigues)."""
    k = axis / np.linalg.norm(axis)
    v = p - origin
    a = math.radians(deg)
    rotated = v * math.cos(a) + np.cross(k, v) * math.sin(a) + k * float(k @ v) * (1 - math.cos(a))
    return np.asarray(origin + rotated)


def unit(v: Vec) -> Vec:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def two_link(root: Vec, target: Vec, l1: float, l2: float, pole: Vec) -> tuple[Vec, Vec]:
    """Middle joint and end point of a two-segment chain reaching for ``target``.

    The chain bends toward ``pole`` (a direction); an unreachable target is approached along the
    straight line.
    """
    d = target - root
    dist = float(np.linalg.norm(d))
    dist = min(max(dist, abs(l1 - l2) + 1e-6), l1 + l2 - 1e-6)
    u = unit(d)
    w = pole - u * float(pole @ u)
    w = unit(w)
    cos_a = (l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist)
    a = math.acos(max(-1.0, min(1.0, cos_a)))
    mid = root + l1 * (math.cos(a) * u + math.sin(a) * w)
    end = root + dist * u
    return mid, end


@dataclass
class LegPose:
    """One leg, either by joint angles (``ankle`` is None) or reaching for an ankle target.

    Angles in degrees relative to the pelvis; ``open_deg`` then turns the knee about the
    hip-to-ankle line (a clamshell opening, positive = toward the leg's own side).
    ``foot``: "shank" keeps the foot square to the shank (plus ``ankle_flex_deg``), "flat" lays it
    on the floor pointing along ``foot_dir``.
    """

    hip_flex_deg: float = 0.0
    hip_abd_deg: float = 3.0
    knee_flex_deg: float = 3.0
    ankle: Vec | None = None
    pole: Vec | None = None
    open_deg: float = 0.0
    foot: str = "shank"
    ankle_flex_deg: float = 0.0
    foot_dir: Vec | None = None


@dataclass
class ArmPose:
    shoulder_flex_deg: float = 0.0
    shoulder_abd_deg: float = 8.0
    elbow_flex_deg: float = 10.0
    wrist: Vec | None = None  # reach for this point instead (elbow bends toward ``pole``)
    pole: Vec | None = None


@dataclass
class Pose:
    """A whole-body pose: pelvis placement and orientation, trunk curve, limbs."""

    pelvis: Vec
    pelvis_rot: Vec  # 3x3, columns forward/left/up of the pelvis
    lumbar_flex_deg: float = 0.0
    thoracic_flex_deg: float = 0.0
    neck_flex_deg: float = 0.0
    trunk_twist_deg: float = 0.0  # thorax about its long axis, relative to the pelvis
    legs: dict[str, LegPose] = field(
        default_factory=lambda: {"left": LegPose(), "right": LegPose()}
    )
    arms: dict[str, ArmPose] = field(
        default_factory=lambda: {"left": ArmPose(), "right": ArmPose()}
    )


@dataclass
class Body:
    """Joint centres (world, metres) and the frames the renderer needs."""

    joints: dict[str, Vec]
    pelvis_rot: Vec
    lumbar_rot: Vec
    thorax_rot: Vec
    head_rot: Vec
    foot_rot: dict[str, Vec]


def _sign(side: str) -> float:
    return 1.0 if side == "left" else -1.0


def _leg(side: str, hip: Vec, pelvis_rot: Vec, leg: LegPose, s: BodySize) -> tuple[Vec, Vec, Vec]:
    sg = _sign(side)
    if leg.ankle is None:
        thigh_rot = pelvis_rot @ rot_y(-leg.hip_flex_deg) @ rot_x(sg * leg.hip_abd_deg)
        knee = hip + thigh_rot @ np.array([0, 0, -s.thigh])
        shank_rot = thigh_rot @ rot_y(leg.knee_flex_deg)
        ankle = knee + shank_rot @ np.array([0, 0, -s.shank])
    else:
        pole = leg.pole if leg.pole is not None else pelvis_rot[:, 0]
        knee, ankle = two_link(hip, leg.ankle, s.thigh, s.shank, pole)
        shank_dir = unit(ankle - knee)
        side_dir = unit(np.cross(shank_dir, pole))
        shank_rot = np.column_stack([np.cross(side_dir, -shank_dir), side_dir, -shank_dir])
    if leg.open_deg:
        knee = rotate_about(knee, hip, ankle - hip, -sg * leg.open_deg)
        shank_rot = _frame_from(unit(knee - ankle), shank_rot[:, 0])
    if leg.foot == "flat":
        fwd = leg.foot_dir if leg.foot_dir is not None else pelvis_rot[:, 0]
        fwd = unit(np.array([fwd[0], fwd[1], 0.0]))
        foot_rot = np.column_stack([fwd, np.cross(np.array([0, 0, 1.0]), fwd), [0, 0, 1.0]])
    else:
        foot_rot = shank_rot @ rot_y(-leg.ankle_flex_deg)
    return knee, ankle, foot_rot


def _frame_from(up: Vec, forward_hint: Vec) -> Vec:
    """A right-handed frame whose z is ``up`` and whose x is as close as possible to the hint."""
    z = unit(up)
    x = unit(forward_hint - z * float(forward_hint @ z))
    return np.column_stack([x, np.cross(z, x), z])


def build(pose: Pose, s: BodySize = SIZE) -> Body:
    """Joint centres for ``pose``."""
    j: dict[str, Vec] = {}
    pr = pose.pelvis_rot
    pc = pose.pelvis
    f, l_, u = pr[:, 0], pr[:, 1], pr[:, 2]
    j["pelvis"] = pc
    lumbar_rot = pr @ rot_z(pose.trunk_twist_deg / 2) @ rot_y(pose.lumbar_flex_deg)
    j["spine_mid"] = pc + lumbar_rot @ np.array([0, 0, s.lumbar])
    thorax_rot = lumbar_rot @ rot_z(pose.trunk_twist_deg / 2) @ rot_y(pose.thoracic_flex_deg)
    j["neck_base"] = j["spine_mid"] + thorax_rot @ np.array([0, 0, s.thorax])
    # A rounding upper back also draws the shoulders forward (protraction).
    protract = 0.05 * math.sin(math.radians(max(pose.thoracic_flex_deg, 0.0)))
    for side in ("left", "right"):
        sg = _sign(side)
        j[f"{side}_hip"] = pc + sg * s.hip_half_width * l_ - 0.0 * u + 0.0 * f
        j[f"{side}_shoulder"] = j["neck_base"] + thorax_rot @ np.array(
            [protract, sg * s.shoulder_half_width, -s.shoulder_drop]
        )
    head_rot = thorax_rot @ rot_y(pose.neck_flex_deg)
    j["head_base"] = j["neck_base"] + head_rot @ np.array([0.01, 0, s.neck])
    head = j["head_base"] + head_rot @ np.array([0.0, 0, s.head_center_up])
    j["head"] = head

    def h(x: float, y: float, z: float) -> Vec:
        return np.asarray(head + head_rot @ np.array([x, y, z]))

    j["nose"] = h(0.105, 0, -0.01)
    for side in ("left", "right"):
        sg = _sign(side)
        j[f"{side}_eye"] = h(0.082, sg * 0.033, 0.022)
        j[f"{side}_eye_inner"] = h(0.088, sg * 0.018, 0.022)
        j[f"{side}_eye_outer"] = h(0.074, sg * 0.05, 0.022)
        j[f"{side}_ear"] = h(-0.005, sg * 0.078, 0.0)
        j[f"{side}_mouth"] = h(0.088, sg * 0.024, -0.048)
    j["mouth_left"] = j.pop("left_mouth")
    j["mouth_right"] = j.pop("right_mouth")

    foot_rot: dict[str, Vec] = {}
    for side in ("left", "right"):
        knee, ankle, frot = _leg(side, j[f"{side}_hip"], pr, pose.legs[side], s)
        j[f"{side}_knee"], j[f"{side}_ankle"] = knee, ankle
        foot_rot[side] = frot
        j[f"{side}_heel"] = ankle + frot @ np.array([-s.heel_back, 0, -s.ankle_height * 0.8])
        j[f"{side}_foot_index"] = ankle + frot @ np.array([s.toe_front, 0, -s.ankle_height * 0.8])

        arm = pose.arms[side]
        sg = _sign(side)
        sho = j[f"{side}_shoulder"]
        if arm.wrist is None:
            arm_rot = thorax_rot @ rot_y(-arm.shoulder_flex_deg) @ rot_x(sg * arm.shoulder_abd_deg)
            elbow = sho + arm_rot @ np.array([0, 0, -s.upper_arm])
            fore_rot = arm_rot @ rot_y(-arm.elbow_flex_deg)
            wrist = elbow + fore_rot @ np.array([0, 0, -s.forearm])
        else:
            pole = arm.pole if arm.pole is not None else -thorax_rot[:, 0]
            elbow, wrist = two_link(sho, arm.wrist, s.upper_arm, s.forearm, pole)
        hand_dir = unit(wrist - elbow)
        j[f"{side}_elbow"], j[f"{side}_wrist"] = elbow, wrist
        j[f"{side}_hand"] = wrist + hand_dir * s.hand * 0.55
        j[f"{side}_index"] = wrist + hand_dir * s.hand * 0.85
        j[f"{side}_pinky"] = wrist + hand_dir * s.hand * 0.7 - sg * 0.02 * thorax_rot[:, 1]
        j[f"{side}_thumb"] = wrist + hand_dir * s.hand * 0.4 + 0.03 * thorax_rot[:, 0]
    return Body(j, pr, lumbar_rot, thorax_rot, head_rot, foot_rot)


def lowest_z(body: Body) -> float:
    """Height of the lowest body surface (joint minus a rough local radius)."""
    radius = {
        "head": SIZE.head_radius,
        "pelvis": 0.11,
        "spine_mid": 0.11,
        "neck_base": 0.1,
        "left_shoulder": 0.06,
        "right_shoulder": 0.06,
        "left_hip": 0.09,
        "right_hip": 0.09,
        "left_knee": 0.055,
        "right_knee": 0.055,
        "left_heel": 0.02,
        "right_heel": 0.02,
        "left_foot_index": 0.02,
        "right_foot_index": 0.02,
        "left_elbow": 0.04,
        "right_elbow": 0.04,
        "left_hand": 0.03,
        "right_hand": 0.03,
    }
    return min(float(body.joints[n][2]) - r for n, r in radius.items())


def translate(body: Body, d: Vec) -> Body:
    return Body(
        {k: v + d for k, v in body.joints.items()},
        body.pelvis_rot,
        body.lumbar_rot,
        body.thorax_rot,
        body.head_rot,
        body.foot_rot,
    )
