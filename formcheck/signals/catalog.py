"""The named signals a spec may use: one number per frame, each with its convention.

A signal is a function of one :class:`PoseFrame` and a :class:`SignalContext` (camera view, working
side). Angles of movements in the body's sagittal plane (knee, hip, trunk) are measured on
the image when the camera sees that plane square-on (side view), where 2D is exact up to the
landmarks' own error, and on the model's 3D world landmarks otherwise, where 2D would be
foreshortened. Lengths are in body units (thigh or torso length), never pixels.

Per-side signals are computed for the working side given by the context. ``side="both"`` means the
mean of the two sides (bilateral exercises seen from the front or diagonal).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from formcheck.landmarks import SIDES, PoseFrame, other_side, side_name, sides_of
from formcheck.signals.back_curve import EXTRA_BEND_DEG, frame_facing, trunk_axes
from formcheck.signals.geometry import (
    angle_between_deg,
    distance,
    flexion_deg,
    incline_from_vertical_deg,
    line_angle_deg,
    midpoint,
)
from formcheck.signals.reference import hip_height_px
from formcheck.types import SeenView, Side, WorkingSide


@dataclass(frozen=True)
class SignalContext:
    """What a signal needs besides the landmarks.

    Attributes:
        view: ``"side"``, ``"front"`` or ``"diagonal"``.
        side: The working side, ``"left"`` / ``"right"``, or ``"both"`` for a two-sided mean.
        standing_hip_px: The person's own standing hip height in the image, in pixels, learnt by
            the session while they stand (:class:`formcheck.signals.reference.StandingHipHeight`);
            NaN when not known yet. Only :func:`hip_drop_leg` uses it.
    """

    view: SeenView
    side: WorkingSide
    standing_hip_px: float = math.nan


SignalFn = Callable[[PoseFrame, SignalContext], float]


def shown_decimals(unit: str) -> int:
    """Decimals a value in ``unit`` is shown with: degrees whole, body units (thigh, torso or
    leg lengths) as fractions, so 0.85 torso lengths does not read "1"."""
    return 0 if unit in ("deg", "") else 2


@dataclass(frozen=True)
class SignalDef:
    """A named signal: its unit, a few words for the page, the body parts it reads, the
    function that measures it and, for a reading that can flicker, how much frame-to-frame
    disagreement it tolerates (``max_jitter``, in its unit; see ``JitterGate``)."""

    name: str
    unit: str
    description: str
    parts: tuple[str, ...]  # body parts used, without side prefix ("knee"), or full names ("nose")
    fn: SignalFn
    max_jitter: float | None = None


def _use_image(ctx: SignalContext) -> bool:
    return ctx.view == "side"


def _p(frame: PoseFrame, name: str, image: bool) -> np.ndarray:
    return frame.xy(name) if image else frame.world(name)


def _per_side_mean(frame: PoseFrame, ctx: SignalContext, fn: Callable[[Side], float]) -> float:
    values = [fn(s) for s in sides_of(ctx.side)]
    good = [v for v in values if not math.isnan(v)]
    return sum(good) / len(good) if good else math.nan


def _knee_flexion(frame: PoseFrame, side: Side, image: bool) -> float:
    """One leg's hip-knee-ankle flexion, in the image (2D) or the world (3D)."""
    hip, knee = _p(frame, side_name(side, "hip"), image), _p(frame, side_name(side, "knee"), image)
    return flexion_deg(hip, knee, _p(frame, side_name(side, "ankle"), image))


def knee_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Knee flexion, 0 = straight leg, ~90 = thigh and shin at a right angle (hip-knee-ankle)."""
    img = _use_image(ctx)
    return _per_side_mean(frame, ctx, lambda s: _knee_flexion(frame, s, img))


# A leg whose knee the model sees less well than this is hidden (the far leg side-on): its angle
# is the model's guess, so it is not reported.
LEG_IN_VIEW_VISIBILITY = 0.5


def _one_knee_flexion_deg(frame: PoseFrame, ctx: SignalContext, side: Side) -> float:
    """Knee flexion of one leg, measured as :func:`knee_flexion_deg`; NaN when that knee is
    hidden."""
    if frame.vis(side_name(side, "knee")) < LEG_IN_VIEW_VISIBILITY:
        return math.nan
    return _knee_flexion(frame, side, _use_image(ctx))


def left_knee_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """The left knee's flexion (for each rep's per-leg depth), NaN when the knee is hidden."""
    return _one_knee_flexion_deg(frame, ctx, "left")


def right_knee_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """The right knee's flexion (for each rep's per-leg depth), NaN when the knee is hidden."""
    return _one_knee_flexion_deg(frame, ctx, "right")


def _hip_flexion(frame: PoseFrame, side: Side, image: bool) -> float:
    """One leg's shoulder-hip-knee flexion, in the image (2D) or the world (3D)."""
    return flexion_deg(
        _p(frame, side_name(side, "shoulder"), image),
        _p(frame, side_name(side, "hip"), image),
        _p(frame, side_name(side, "knee"), image),
    )


def hip_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Hip flexion between trunk and thigh (shoulder-hip-knee): 0 = in one line (standing tall or
    the top of a bridge), 90 = thigh at right angles to the trunk."""
    img = _use_image(ctx)
    return _per_side_mean(frame, ctx, lambda s: _hip_flexion(frame, s, img))


def hip_flexion_image_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Hip flexion as :func:`hip_flexion_deg`, but in the image whatever the view.

    Side-on it is the same angle. Half-turned the slant distorts it, but it still falls as the
    hips rise, and by more than the 3D angle does: a bridge filmed 40 deg off side-on from the
    feet end reads 59-70 deg lying and 13-24 at the top (3D: 52-58 and 24-34), the rendered
    figure from 45 deg 67 and 5 where the truth is 51 and 13 (3D: 50 and 35). So it suits a count
    measured from the person's own resting level (``reps.from_rest``), not an absolute band. It
    is the image angle in every view, so the view flipping between diagonal and front mid-rep
    (as it does on that real clip) does not switch it between two measures.
    """
    return _per_side_mean(frame, ctx, lambda s: _hip_flexion(frame, s, image=True))


def _hip_flexions(frame: PoseFrame, image: bool) -> tuple[float, float]:
    """(left, right) hip flexion, shoulder-hip-knee, in the image or in 3D."""
    left, right = (_hip_flexion(frame, s, image) for s in SIDES)
    return left, right


def max_hip_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """The larger hip flexion of the two legs: how far the most bent thigh is drawn to the chest."""
    good = [v for v in _hip_flexions(frame, _use_image(ctx)) if not math.isnan(v)]
    return max(good) if good else math.nan


def trunk_incline_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Trunk (hip midpoint -> shoulder midpoint) against vertical: 0 upright, 90 horizontal."""
    img = _use_image(ctx)
    hip = midpoint(_p(frame, "left_hip", img), _p(frame, "right_hip", img))
    sho = midpoint(_p(frame, "left_shoulder", img), _p(frame, "right_shoulder", img))
    return incline_from_vertical_deg(hip, sho)


def spine_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Head-to-sacrum alignment: how far the ear falls off the hip->shoulder line, at the shoulder.

    0 = ear, shoulder and hip in one straight line (the "rod down the back" the clinic sheet asks
    for). A rounded upper back pushes the shoulders forward and the head down, and the angle grows.
    Measured on the working side in the image (side view) or in 3D.
    """
    img = _use_image(ctx)
    return _per_side_mean(
        frame,
        ctx,
        lambda s: flexion_deg(
            _p(frame, side_name(s, "hip"), img),
            _p(frame, side_name(s, "shoulder"), img),
            _p(frame, side_name(s, "ear"), img),
        ),
    )


def _thigh_len(frame: PoseFrame, image: bool) -> float:
    """The longer thigh (hip to knee), in the image or in 3D."""
    return max(
        distance(_p(frame, side_name(s, "hip"), image), _p(frame, side_name(s, "knee"), image))
        for s in SIDES
    )


def _leg_len(frame: PoseFrame, image: bool) -> float:
    """The longer leg's hip-knee-ankle path, in the image or in 3D: bent knees shorten nothing."""
    return max(
        distance(_p(frame, side_name(s, "hip"), image), _p(frame, side_name(s, "knee"), image))
        + distance(_p(frame, side_name(s, "knee"), image), _p(frame, side_name(s, "ankle"), image))
        for s in SIDES
    )


def _feet_forward(frame: PoseFrame) -> np.ndarray:
    """The way the feet point (heel -> toes, both feet summed) on the floor plane, in 3D; not
    normalised (zero when the feet are not seen)."""
    fwd = (frame.world("left_foot_index") - frame.world("left_heel")) + (
        frame.world("right_foot_index") - frame.world("right_heel")
    )
    return np.array([fwd[0], 0.0, fwd[2]])


# An ankle the model sees less well than this is hidden and its place a guess. Side-lying with the
# knees bent, seen from in front and toward the head, the feet lie behind the thighs: the lower
# of the two ankles' visibility read under 0.2 on 73-85% of the frames of four of six rendered
# clamshells there (0-21% on the other two), and on 0-2% of the frames of the real clamshells
# filmed from in front.
FOOT_IN_VIEW_VISIBILITY = 0.2


def ankle_gap_thigh(frame: PoseFrame, ctx: SignalContext) -> float:
    """Distance between the ankles in thigh lengths (3D): feet together is near 0. NaN (not
    measured) while either ankle is hidden (:data:`FOOT_IN_VIEW_VISIBILITY`)."""
    if min(frame.vis("left_ankle"), frame.vis("right_ankle")) < FOOT_IN_VIEW_VISIBILITY:
        return math.nan
    thigh = _thigh_len(frame, image=False)
    if not thigh > 0:
        return math.nan
    return distance(frame.world("left_ankle"), frame.world("right_ankle")) / thigh


def ankle_gap_leg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Distance between the ankles over the longer leg (hip-knee-ankle path), in 3D (world
    landmarks): a leg's lift away from the other one. The rendered figure lying on its side with
    straight legs reads 0.14 with the legs together, 0.49 with the top leg lifted 20 deg, 0.66 at
    30 and 0.82 at 40 (about 0.017 a degree). It is measured on the body, so the camera's place
    does not change it: from the head end the legs point away from the camera, and their angles
    in the image say little."""
    leg = _leg_len(frame, image=False)
    if not leg > 0:
        return math.nan
    return distance(frame.world("left_ankle"), frame.world("right_ankle")) / leg


def heel_gap_thigh(frame: PoseFrame, ctx: SignalContext) -> float:
    """Distance between the heels in thigh lengths (the longer thigh): soles together is near 0.

    Facing the camera or at a slant, in the image: with the soles together both heels are at
    the same depth, and a butterfly's thighs spread out to the sides, nearly in the picture. The
    3D landmarks misread that folded pose: on a real front-view butterfly they shortened the
    thighs to 0.34 m and read the touching heels 0.6 thighs apart, against 0.35 in the image.
    From the side the heels overlap in the image, so 3D is used there.
    """
    image = not _use_image(ctx)  # the other way round from the sagittal angles
    thigh = _thigh_len(frame, image)
    gap = distance(_p(frame, "left_heel", image), _p(frame, "right_heel", image))
    return gap / thigh if thigh > 0 else math.nan


def hip_height_leg(frame: PoseFrame, ctx: SignalContext) -> float:
    """How high the hips stand above the lower foot, in leg lengths: about 1 standing (a forward
    fold on straight legs too), about half kneeling up, near 0 sitting or lying on the floor.

    Vertical in the image side-on; in 3D otherwise, where lying with the feet toward the camera
    puts the ankles below the hips in the picture but not in the world. The leg length is the
    longer leg's hip-knee-ankle path, so bending the knees lowers the value.
    """
    image = _use_image(ctx)
    hip = midpoint(_p(frame, "left_hip", image), _p(frame, "right_hip", image))
    lower_ankle_y = max(float(_p(frame, side_name(s, "ankle"), image)[1]) for s in SIDES)
    leg = _leg_len(frame, image)
    return (lower_ankle_y - float(hip[1])) / leg if leg > 0 else math.nan


def stance_split_leg(frame: PoseFrame, ctx: SignalContext) -> float:
    """How far one foot stands ahead of the other, in leg lengths: near 0 with the feet side by
    side (a squat, a hinge), a half or more in a split stance (a wall calf stretch, a lunge).

    Side-on, horizontally in the image; otherwise in 3D along the way the feet point (heel to
    toes, both feet averaged, on the floor plane), which a half-turned camera does not shorten.
    """
    image = _use_image(ctx)
    leg = _leg_len(frame, image)
    if not leg > 0:
        return math.nan
    gap = _p(frame, "left_ankle", image) - _p(frame, "right_ankle", image)
    if image:
        return abs(float(gap[0])) / leg
    fwd = _feet_forward(frame)
    norm = float(np.linalg.norm(fwd))
    if not norm > 0:
        return math.nan
    return abs(float(np.dot(gap, fwd / norm))) / leg


def pelvis_roll_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Side-lying: how far the hip-to-hip line leans away from vertical, in 3D, 0..90.

    Stacked hips (top hip straight above the bottom one) give about 0; rolling the pelvis back or
    forward tips the line and the angle grows. Assumes a level camera, so that the world's vertical
    is the camera's.
    """
    v = frame.world("left_hip") - frame.world("right_hip")
    return line_angle_deg(v, np.array([0.0, 1.0, 0.0]))


def pelvis_lift_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Lying on the back, side view: elevation of the hips above the shoulders, in degrees.

    The angle of the shoulder->hip line above the image horizontal; positive when the hips are
    higher than the shoulders (the pelvis lifting off the floor), negative when the shoulders are
    lifted.
    """
    sho = midpoint(frame.xy("left_shoulder"), frame.xy("right_shoulder"))
    hip = midpoint(frame.xy("left_hip"), frame.xy("right_hip"))
    d = hip - sho
    if not (abs(d[0]) > 0 or abs(d[1]) > 0):
        return math.nan
    return math.degrees(math.atan2(float(-d[1]), abs(float(d[0]))))


def _legs_by_image_side(frame: PoseFrame, view: SeenView) -> dict[Side, tuple[np.ndarray, ...]]:
    """Hip, knee and toes of each leg, taken by image side rather than by the model's labels.

    Facing the camera, one leg's hip, knee and toes all lie on its own side of the image: planted
    feet do not cross and knees caving in can meet but not pass each other. The model's labels
    do not keep to that: with the knees together (rendered 25 deg valgus) it kept the knees'
    labels but swapped the ankles' and the toes', its "left" toes 36 px inside the left hip; on a
    fast real squat it swapped the hips alone, or the knees and toes together, for a frame.
    Each leg is the left-most (or right-most) of each pair; ``"left"`` / ``"right"`` name the
    leg on the side of the image where the model put that hip. Front view only: from the side or
    at a slant the legs overlap in the image and the labels are kept.
    """
    names = ("hip", "knee", "foot_index")
    labelled = {s: tuple(frame.xy(side_name(s, n)) for n in names) for s in SIDES}
    if view != "front" or any(np.isnan(p).any() for leg in labelled.values() for p in leg):
        return labelled
    image_left, image_right = [], []
    for n in names:
        a, b = sorted(
            (frame.xy(side_name("left", n)), frame.xy(side_name("right", n))),
            key=lambda p: float(p[0]),
        )
        image_left.append(a)
        image_right.append(b)
    if frame.xy("left_hip")[0] <= frame.xy("right_hip")[0]:
        return {"left": tuple(image_left), "right": tuple(image_right)}
    return {"left": tuple(image_right), "right": tuple(image_left)}


def _knee_inward_thigh(frame: PoseFrame, view: SeenView, side: Side) -> float:
    """One leg's knee offset from its hip-to-toes line (see :func:`knee_valgus_thigh`)."""
    mid_x = (frame.xy("left_hip")[0] + frame.xy("right_hip")[0]) / 2
    hip, knee, toe = _legs_by_image_side(frame, view)[side]
    thigh = distance(hip, knee)
    dy = toe[1] - hip[1]
    if not (thigh > 0 and abs(dy) > 1e-6):
        return math.nan
    line_x = hip[0] + (toe[0] - hip[0]) * (knee[1] - hip[1]) / dy
    inward = 1.0 if mid_x > hip[0] else -1.0
    return float((knee[0] - line_x) * inward / thigh)


def knee_valgus_thigh(frame: PoseFrame, ctx: SignalContext) -> float:
    """Front view: how far the knee sits inside (+) or outside (-) the line from the hip to the
    toes, in thigh lengths, taken horizontally in the image at the knee's height. The worse
    (larger |value|) knee of the working sides is returned with its sign.

    The line ends at the toes, not the ankle, because a knee that properly tracks over turned-out
    toes in a deep or wide squat sits outside the hip-ankle line; over the toes it reads ~0. The
    points of each leg are taken by image side (:func:`_legs_by_image_side`): with the model's
    labels, knees caving in until they met read ~0 (the line ran to the other foot, through the
    knee).
    """
    worst = math.nan
    for s in sides_of(ctx.side):
        value = _knee_inward_thigh(frame, ctx.view, s)
        if math.isnan(worst) or abs(value) > abs(worst):
            worst = value
    return worst


def left_knee_valgus_thigh(frame: PoseFrame, ctx: SignalContext) -> float:
    """The left knee's offset from its hip-to-toes line (+ inward), for each rep's report; NaN
    unless facing the camera (from the side or half-turned the legs overlap in the image)."""
    return _knee_inward_thigh(frame, ctx.view, "left") if ctx.view == "front" else math.nan


def right_knee_valgus_thigh(frame: PoseFrame, ctx: SignalContext) -> float:
    """The right knee's offset from its hip-to-toes line (+ inward), for each rep's report; NaN
    unless facing the camera."""
    return _knee_inward_thigh(frame, ctx.view, "right") if ctx.view == "front" else math.nan


def hip_drop_leg(frame: PoseFrame, ctx: SignalContext) -> float:
    """How far the hips have sunk below the person's own standing hip height, as a fraction of it.

    0 standing tall, 1 with the hips down at the ankles; measured vertically in the image (hip
    midpoint above ankle midpoint) against the standing height the session learnt in the same
    view (``ctx.standing_hip_px``), so it reads the same way from the side, the front or at a
    slant and needs no joint angle. With the shin and the thigh leaning by half the knee flexion
    each and the hips over the feet, a knee flexion of ``k`` gives ``1 - cos(k / 2)``: 0.03 at 30
    deg, 0.13 at 60, 0.29 at 90. In a front view the camera sees less of the drop (the hips move
    back, away from it, and the model underestimates the hip landmark's descent): a squat to a
    knee-height box reads 0.19-0.27 there against 0.30-0.38 side-on (rendered clips, model
    landmarks). NaN until the person has been seen standing.
    """
    reference = ctx.standing_hip_px
    if not reference > 0:
        return math.nan
    return 1.0 - hip_height_px(frame) / reference


# Half-turned, hands held behind the trunk line (a bar or a pipe across the shoulders, elbows up
# and back) put the arms into the silhouette right where the back's outline is looked for. On a
# real half-turned good morning with a pipe, whose back is flat side-on (-2 to -5 deg), the
# outline followed the elbow and hand and read 41-49 deg on every rep; the wrists sat 0.38-0.50
# trunk lengths behind the trunk line. Wrists at the chest or hanging (deadlifts, goblet and
# bodyweight squats) sit in front of it; the kettlebell good morning's at most 0.16 behind.
HANDS_BEHIND_TRUNK = 0.25


def _hands_behind_trunk(frame: PoseFrame) -> bool:
    """Is a wrist more than ``HANDS_BEHIND_TRUNK`` trunk lengths behind the shoulder-hip line,
    between shoulder and hip level? Which side is behind follows the way the person faces."""
    axes = trunk_axes(frame.xy_px, frame_facing(frame.xy_px))
    if axes is None:
        return False
    for side in SIDES:
        offset = frame.xy(side_name(side, "wrist")) - axes.shoulder
        level = float(offset @ axes.along)
        behind = float(offset @ axes.back)
        if 0.0 <= level <= axes.length and behind > HANDS_BEHIND_TRUNK * axes.length:
            return True
    return False


# The back's outline is trusted only while its frame-to-frame readings agree. On the real labelled
# lifts the rounded backs read a median second difference of at most 5.7 deg over 0.4 s (90th
# percentile of their faulty frames; 1-2 deg typically); arms swung back through the outline in
# a jump squat read 6-14, and the outlines of the two dim clips (a basement squat, a night-time
# good morning) read a median of 12 and 17 over their whole movement. 8 keeps every labelled
# verdict; 5 starts to leave neutral lifts unmeasured, 10 lets the dim squat's reports through.
BACK_BEND_MAX_JITTER_DEG = 8.0


def back_bend_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """How much the back's outline bends between its upper and lower halves, in degrees.

    Read by the pose backend from the person segmentation mask (the landmarks have no point on
    the spine): line fits to the upper and lower halves of the back's outline between shoulder and
    hip level, and the angle between them, positive when the back rounds outward (see
    :mod:`formcheck.signals.back_curve`). NaN when the outline could not be traced (the back
    hidden, out of frame, or merged with something behind it), from the front (the outline is
    then the flank, not the back), and half-turned with the hands behind the trunk
    (:data:`HANDS_BEHIND_TRUNK`). The engine also drops it while the readings flicker from frame to
    frame (:data:`BACK_BEND_MAX_JITTER_DEG`).
    """
    if ctx.view == "front" or (ctx.view == "diagonal" and _hands_behind_trunk(frame)):
        return math.nan
    return float(frame.extras.get(EXTRA_BEND_DEG, math.nan))


def crossed_leg_side(frame: PoseFrame, view: SeenView) -> Side:
    """Figure-four stretches: the leg whose ankle rests on the other knee is the one stretched."""
    left_on_right = distance(frame.world("left_ankle"), frame.world("right_knee"))
    right_on_left = distance(frame.world("right_ankle"), frame.world("left_knee"))
    return "left" if left_on_right < right_on_left else "right"


def top_leg_side(frame: PoseFrame, view: SeenView) -> Side:
    """Side-lying exercises: the upper leg (its hip higher in the image) is the working leg."""
    return "left" if frame.xy("left_hip")[1] < frame.xy("right_hip")[1] else "right"


def thigh_opening_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Angle between the two thighs (hip->knee): 0 with the knees together, growing as the legs
    part. Side view: in the image, where the thighs of a lunge or half-kneel lie in the plane of
    the picture (rendered half-kneeling: 2D RMSE 2.3-4.1 deg, 3D 5.7-7.2 and reading 5 low);
    otherwise in 3D."""
    image = _use_image(ctx)
    left = _p(frame, "left_knee", image) - _p(frame, "left_hip", image)
    right = _p(frame, "right_knee", image) - _p(frame, "right_hip", image)
    return angle_between_deg(left, right)


def knee_gap_thigh(frame: PoseFrame, ctx: SignalContext) -> float:
    """Distance between the two knees over the mean thigh length, in 3D (world landmarks): about
    0.25 with the knees together (a knee's width), growing as they part. In any view, since it
    does not depend on how the thighs lie in the image."""
    thighs = [
        distance(frame.world(side_name(s, "knee")), frame.world(side_name(s, "hip"))) for s in SIDES
    ]
    thigh = (thighs[0] + thighs[1]) / 2
    if not thigh > 0:
        return math.nan
    return distance(frame.world("left_knee"), frame.world("right_knee")) / thigh


def thigh_opening_image_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Angle between the two thighs in the image (2D)."""
    left = frame.xy("left_knee") - frame.xy("left_hip")
    right = frame.xy("right_knee") - frame.xy("right_hip")
    return angle_between_deg(left, right)


def min_hip_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """The smaller hip flexion of the two legs: high only when both thighs are drawn up (the
    supported leg of a figure-four stretch pulled toward the chest, with the crossed leg on it)."""
    values = _hip_flexions(frame, _use_image(ctx))
    if any(math.isnan(v) for v in values):
        return math.nan
    return min(values)


# Two hips bent alike are one movement of both legs (a standing forward fold, a double knee hug),
# not one leg pulled: in a real side-on fold the hidden leg's guessed hip reads 6-10 deg more
# bent than the visible one, while a pulled leg (knee to chest, a foot up on a step, pigeon)
# is bent 45 deg or more beyond the other.
PULLED_LEG_MARGIN_DEG = 20.0


def pulled_leg_side(frame: PoseFrame, view: SeenView) -> Side | None:
    """Knee-to-chest style stretches: the leg whose hip is bent more is the one being pulled;
    None when the two are bent alike (within ``PULLED_LEG_MARGIN_DEG``): no leg is singled out."""
    left, right = _hip_flexions(frame, image=False)
    if abs(left - right) < PULLED_LEG_MARGIN_DEG:
        return None
    return "left" if left >= right else "right"


# -- signals for the stretches of the clinic sheets ---------------------------------------------


def opposite_knee_flexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Knee flexion (as :func:`knee_flexion_deg`) of the leg that is *not* the working side: the
    front leg of a half-kneeling hip-flexor stretch whose kneeling leg is stretched. With
    ``side="both"`` it is the two-leg mean."""
    return knee_flexion_deg(frame, replace(ctx, side=other_side(ctx.side)))


def thigh_incline_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Working thigh (knee -> hip) against straight up, 0..180: 0 when the knee points straight at
    the floor under the hip (standing quad stretch), 90 with the thigh horizontal. Image 2D in
    side view, world 3D otherwise."""
    img = _use_image(ctx)
    return _per_side_mean(
        frame,
        ctx,
        lambda s: incline_from_vertical_deg(
            _p(frame, side_name(s, "knee"), img), _p(frame, side_name(s, "hip"), img)
        ),
    )


def ankle_dorsiflexion_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Ankle dorsiflexion: 90 minus the angle between the shin (ankle -> knee) and the foot
    (heel -> toes). 0 standing with the shin upright over a flat foot; positive as the shin leans
    over the toes or the toes are raised on a wall (the calf lengthens), negative pointing the
    foot. Image 2D in side view, world 3D otherwise."""
    img = _use_image(ctx)

    def one(s: Side) -> float:
        shin = _p(frame, side_name(s, "knee"), img) - _p(frame, side_name(s, "ankle"), img)
        foot = _p(frame, side_name(s, "foot_index"), img) - _p(frame, side_name(s, "heel"), img)
        return 90.0 - angle_between_deg(shin, foot)

    return _per_side_mean(frame, ctx, one)


def hand_reach_leg(frame: PoseFrame, ctx: SignalContext) -> float:
    """Standing forward bends: how far down the legs the lower hand reaches, in leg lengths,
    measured vertically in the image: 0 at hip height, 1 at the ankles, above 1 past them.
    The hip and ankle heights are the two-side means, so it does not depend on the side."""
    hip_y = (frame.xy("left_hip")[1] + frame.xy("right_hip")[1]) / 2
    ankle_y = (frame.xy("left_ankle")[1] + frame.xy("right_ankle")[1]) / 2
    leg = float(ankle_y - hip_y)
    if not leg > 0:
        return math.nan
    wrist_y = max(float(frame.xy("left_wrist")[1]), float(frame.xy("right_wrist")[1]))
    return (wrist_y - float(hip_y)) / leg


def knee_height_torso(frame: PoseFrame, ctx: SignalContext) -> float:
    """Sitting with the soles together (butterfly): how high the knees sit above the feet, the
    two-knee mean, in torso lengths, vertically in the image. Lower means the knees have dropped
    further toward the floor."""
    knee_y = (frame.xy("left_knee")[1] + frame.xy("right_knee")[1]) / 2
    ankle_y = (frame.xy("left_ankle")[1] + frame.xy("right_ankle")[1]) / 2
    sho = midpoint(frame.xy("left_shoulder"), frame.xy("right_shoulder"))
    hip = midpoint(frame.xy("left_hip"), frame.xy("right_hip"))
    torso = distance(sho, hip)
    if not torso > 0:
        return math.nan
    return float(ankle_y - knee_y) / torso


def ankle_lift_torso(frame: PoseFrame, ctx: SignalContext) -> float:
    """Sitting with one leg crossed (figure-four): how far one ankle is lifted above the other,
    vertically in the image, in torso lengths. About half a torso with an ankle resting on the
    other knee, near 0 with both feet on the floor. Seen alike from the front, the side or a
    diagonal, where the 3D depth of a crossed ankle is not."""
    low = max(float(frame.xy(side_name(s, "ankle"))[1]) for s in SIDES)
    high = min(float(frame.xy(side_name(s, "ankle"))[1]) for s in SIDES)
    sho = midpoint(frame.xy("left_shoulder"), frame.xy("right_shoulder"))
    hip = midpoint(frame.xy("left_hip"), frame.xy("right_hip"))
    torso = distance(sho, hip)
    if not torso > 0:
        return math.nan
    return (low - high) / torso


def kneeling_leg_side(frame: PoseFrame, view: SeenView) -> Side:
    """Half-kneeling stretches: the leg whose hip is bent less (the thigh down to the kneeling
    knee, the other one forward at about 90 deg) is the one whose hip flexors are stretched."""
    left, right = _hip_flexions(frame, image=False)
    return "left" if left < right else "right"


# A quad stretch bends one knee 100 deg or more beyond the other (heel to the buttock); standing
# on both feet the two read within 15 deg of each other.
BENT_KNEE_MARGIN_DEG = 45.0


def bent_knee_side(frame: PoseFrame, view: SeenView) -> Side | None:
    """Quad stretches: the leg whose knee is bent more (heel drawn to the buttock); None while
    the knees are bent alike (standing), when no leg is singled out. Knee angles as the signals
    take them (:func:`knee_flexion_deg`: in the image side-on)."""
    image = view == "side"
    left, right = (_knee_flexion(frame, s, image) for s in SIDES)
    if abs(left - right) < BENT_KNEE_MARGIN_DEG:
        return None
    return "left" if left > right else "right"


def straight_leg_side(frame: PoseFrame, view: SeenView) -> Side:
    """Calf stretches: the straighter leg is the one stretched (the other knee bends forward).

    Side-on the knee angles are taken in the image, as :func:`knee_flexion_deg` takes them: on a
    real wall calf stretch the 3D landmarks read the straight back knee 17-18 deg and the bent
    front one 15-16 (the image: 0-2 and 20-22), and picked the bent leg.
    """
    image = view == "side"
    left, right = (_knee_flexion(frame, s, image) for s in SIDES)
    return "left" if left < right else "right"


def rear_leg_side(frame: PoseFrame, view: SeenView) -> Side:
    """Split-stance stretches: the leg whose ankle is further back, "forward" being the mean
    direction of the two feet (heel -> toes) on the floor, in 3D."""
    fwd = _feet_forward(frame)
    left = float(np.dot(frame.world("left_ankle"), fwd))
    right = float(np.dot(frame.world("right_ankle"), fwd))
    return "left" if left < right else "right"


def body_lean_deg(frame: PoseFrame, ctx: SignalContext) -> float:
    """The line from the working side's ankle to the shoulder midpoint against straight up, 0..180:
    about 0 standing tall, growing as the whole body leans forward from that ankle (leaning in to
    a wall over a straight back leg). Image 2D in side view, world 3D otherwise."""
    img = _use_image(ctx)
    sho = midpoint(_p(frame, "left_shoulder", img), _p(frame, "right_shoulder", img))
    return _per_side_mean(
        frame, ctx, lambda s: incline_from_vertical_deg(_p(frame, side_name(s, "ankle"), img), sho)
    )


# -- the registry: every signal a spec may name, by body region -----------------------------------

_BY_REGION: dict[str, tuple[SignalDef, ...]] = {
    "knees and legs": (
        SignalDef(
            "knee_flexion_deg", "deg", "knee bend", ("hip", "knee", "ankle"), knee_flexion_deg
        ),
        SignalDef(
            "left_knee_flexion_deg",
            "deg",
            "left knee bend",
            ("left_hip", "left_knee", "left_ankle"),
            left_knee_flexion_deg,
        ),
        SignalDef(
            "right_knee_flexion_deg",
            "deg",
            "right knee bend",
            ("right_hip", "right_knee", "right_ankle"),
            right_knee_flexion_deg,
        ),
        SignalDef(
            "opposite_knee_flexion_deg",
            "deg",
            "other knee bend",
            ("hip", "knee", "ankle"),
            opposite_knee_flexion_deg,
        ),
        SignalDef(
            "knee_valgus_thigh",
            "thigh",
            "knee in/out",
            ("hip", "knee", "ankle", "foot_index"),
            knee_valgus_thigh,
        ),
        SignalDef(
            "left_knee_valgus_thigh",
            "thigh",
            "left knee in/out",
            ("left_hip", "left_knee", "left_foot_index"),
            left_knee_valgus_thigh,
        ),
        SignalDef(
            "right_knee_valgus_thigh",
            "thigh",
            "right knee in/out",
            ("right_hip", "right_knee", "right_foot_index"),
            right_knee_valgus_thigh,
        ),
        SignalDef(
            "ankle_gap_thigh", "thigh", "feet apart", ("hip", "knee", "ankle"), ankle_gap_thigh
        ),
        SignalDef("ankle_gap_leg", "leg", "feet apart", ("hip", "knee", "ankle"), ankle_gap_leg),
        SignalDef(
            "heel_gap_thigh", "thigh", "heels apart", ("hip", "knee", "heel"), heel_gap_thigh
        ),
        SignalDef(
            "hip_height_leg", "leg", "hips above the feet", ("hip", "knee", "ankle"), hip_height_leg
        ),
        SignalDef(
            "stance_split_leg",
            "leg",
            "one foot ahead",
            ("hip", "knee", "ankle", "heel", "foot_index"),
            stance_split_leg,
        ),
        SignalDef(
            "ankle_dorsiflexion_deg",
            "deg",
            "ankle bend",
            ("knee", "ankle", "heel", "foot_index"),
            ankle_dorsiflexion_deg,
        ),
        SignalDef(
            "thigh_incline_deg", "deg", "thigh from vertical", ("hip", "knee"), thigh_incline_deg
        ),
        SignalDef("thigh_opening_deg", "deg", "knees apart", ("hip", "knee"), thigh_opening_deg),
        SignalDef(
            "thigh_opening_image_deg",
            "deg",
            "knees apart",
            ("hip", "knee"),
            thigh_opening_image_deg,
        ),
        SignalDef(
            "knee_height_torso",
            "torso",
            "knee height",
            ("shoulder", "hip", "knee"),
            knee_height_torso,
        ),
        SignalDef(
            "hand_reach_leg", "leg", "reach down the leg", ("hip", "ankle", "wrist"), hand_reach_leg
        ),
    ),
    "hips and pelvis": (
        SignalDef(
            "hip_flexion_deg", "deg", "hip bend", ("shoulder", "hip", "knee"), hip_flexion_deg
        ),
        SignalDef(
            "hip_flexion_image_deg",
            "deg",
            "hip bend in the picture",
            ("shoulder", "hip", "knee"),
            hip_flexion_image_deg,
        ),
        SignalDef(
            "max_hip_flexion_deg",
            "deg",
            "the more bent hip",
            ("shoulder", "hip", "knee"),
            max_hip_flexion_deg,
        ),
        SignalDef(
            "min_hip_flexion_deg",
            "deg",
            "both hips bent",
            ("shoulder", "hip", "knee"),
            min_hip_flexion_deg,
        ),
        SignalDef("hip_drop_leg", "leg", "hips sunk", ("hip", "ankle"), hip_drop_leg),
        SignalDef("pelvis_roll_deg", "deg", "hips stacked", ("hip",), pelvis_roll_deg),
        SignalDef("knee_gap_thigh", "thigh", "knees apart", ("hip", "knee"), knee_gap_thigh),
        SignalDef(
            "ankle_lift_torso",
            "torso",
            "one ankle lifted",
            ("shoulder", "hip", "ankle"),
            ankle_lift_torso,
        ),
        SignalDef("pelvis_lift_deg", "deg", "pelvis lift", ("shoulder", "hip"), pelvis_lift_deg),
    ),
    "trunk and back": (
        SignalDef("trunk_incline_deg", "deg", "trunk lean", ("shoulder", "hip"), trunk_incline_deg),
        SignalDef(
            "back_bend_deg",
            "deg",
            "back curve",
            ("shoulder", "hip"),
            back_bend_deg,
            max_jitter=BACK_BEND_MAX_JITTER_DEG,
        ),
        # No spec judges with it (it cannot see the lumbar curve); the rendered clips' truth and
        # the comparison with the back's outline use it.
        SignalDef(
            "spine_flexion_deg",
            "deg",
            "head-to-sacrum line",
            ("ear", "shoulder", "hip"),
            spine_flexion_deg,
        ),
    ),
    "whole body": (
        SignalDef(
            "body_lean_deg", "deg", "lean from the ankle", ("ankle", "shoulder"), body_lean_deg
        ),
    ),
}
SIGNALS: dict[str, SignalDef] = {d.name: d for group in _BY_REGION.values() for d in group}

# Which leg a two-sided exercise is working on, named by a spec's ``side_detector``.
# Each names the working leg of a one-leg exercise from one frame, or None when no leg stands out.
SIDE_DETECTORS: dict[str, Callable[[PoseFrame, SeenView], Side | None]] = {
    "crossed_leg": crossed_leg_side,
    "top_leg": top_leg_side,
    "pulled_leg": pulled_leg_side,
    "kneeling_leg": kneeling_leg_side,
    "bent_knee": bent_knee_side,
    "straight_leg": straight_leg_side,
    "rear_leg": rear_leg_side,
}
