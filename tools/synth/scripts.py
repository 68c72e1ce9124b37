"""Exercise scripts: keyframed joint-angle trajectories with natural variation and known truth.

A script is a :class:`Timeline` of parameter keyframes (smooth-step between them) plus the truth
intervals it creates: reps (leaving the start position to being back in it), holds (in the
stretch, with side) and injected faults (rule id and magnitude). ``pose_at`` turns the parameters
of one instant into a :class:`Body`. Everything random comes from the seeded generator passed in.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.synth import poses as P
from tools.synth.body import ArmPose, Body, LegPose, unit


@dataclass
class Interval:
    kind: str  # rep, hold, fault
    start_s: float
    end_s: float
    rule: str | None = None
    side: str | None = None
    magnitude: float | None = None
    unit: str | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}
        for k in ("rule", "side", "magnitude", "unit"):
            v = getattr(self, k)
            if v is not None:
                d[k] = round(v, 3) if isinstance(v, float) else v
        return d


@dataclass
class Timeline:
    """Keyframes of named parameters; between keys each parameter follows a smooth step."""

    params: dict[str, float]
    keys: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = [(0.0, dict(self.params))]

    @property
    def t(self) -> float:
        return self.keys[-1][0]

    def move(self, dur_s: float, **changes: float) -> tuple[float, float]:
        t0 = self.t
        vals = dict(self.keys[-1][1])
        vals.update(changes)
        self.keys.append((t0 + dur_s, vals))
        return t0, t0 + dur_s

    def pause(self, dur_s: float) -> tuple[float, float]:
        return self.move(dur_s)

    def at(self, t_s: float) -> dict[str, float]:
        keys = self.keys
        if t_s <= keys[0][0]:
            return dict(keys[0][1])
        for (ta, a), (tb, b) in itertools.pairwise(keys):
            if t_s <= tb:
                u = (t_s - ta) / (tb - ta) if tb > ta else 1.0
                u = u * u * (3 - 2 * u)
                return {k: a[k] + (b[k] - a[k]) * u for k in b}
        return dict(keys[-1][1])


@dataclass
class Script:
    exercise: str
    timeline: Timeline
    pose_at: Callable[[dict[str, float]], Body]
    view: str
    near_side: str
    camera_height_m: float
    camera_distance_m: float
    fault: str | None
    magnitude: float
    look_height_m: float | None = None  # where the camera aims (default: by posture)
    seat: P.Seat | None = None  # a stool drawn under a sitting figure
    # Standing: the camera is framed so that the picture's top edge passes this high at the body
    # and its bottom edge just under the feet (a camera too close or too low for the whole body).
    top_edge_m: float | None = None


# Where the picture is cut for a standing person whose head is out of frame: at the chin (the
# head's lowest point is 1.51 m on the figure), above the shoulders (1.40, their top 1.46): the
# mouth (1.56), nose, eyes and ears are all out of the picture.
HEAD_OUT_TOP_EDGE_M = 1.52


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _out_and_back(
    rng: np.random.Generator,
    tl: Timeline,
    reps: int,
    key: str,
    top: tuple[float, float],
    move_s: tuple[float, float],
    at_top_s: tuple[float, float],
) -> None:
    """``reps`` reps of ``key`` from 0 out to a random ``top`` and back, each marked as a rep
    interval, with a short pause at the top and a rest after."""
    for _ in range(reps):
        t0, _ = tl.move(_u(rng, *move_s), **{key: _u(rng, *top)})
        tl.pause(_u(rng, *at_top_s))
        _, t1 = tl.move(_u(rng, *move_s), **{key: 0.0})
        tl.intervals.append(Interval("rep", t0, t1))
        tl.pause(_u(rng, 0.6, 1.0))


def _both_arms(
    shoulder_flex_deg: float, shoulder_abd_deg: float, elbow_flex_deg: float
) -> dict[str, ArmPose]:
    """The same arm pose on both sides (angles are mirrored by the body model)."""
    return {
        s: ArmPose(
            shoulder_flex_deg=shoulder_flex_deg,
            shoulder_abd_deg=shoulder_abd_deg,
            elbow_flex_deg=elbow_flex_deg,
        )
        for s in ("left", "right")
    }


def _fault_span(
    tl: Timeline, name: str, magnitude: float, frac: float = 0.5
) -> list[tuple[float, float]]:
    """Time spans where parameter ``name`` is at least ``frac`` of ``magnitude``."""
    if magnitude <= 0:
        return []
    ts = np.arange(0.0, tl.t + 1e-9, 0.01)
    on = np.array([abs(tl.at(float(t))[name]) >= frac * magnitude for t in ts])
    spans, start = [], None
    for t, o in zip(ts, on, strict=True):
        if o and start is None:
            start = float(t)
        if not o and start is not None:
            spans.append((start, float(t)))
            start = None
    if start is not None:
        spans.append((start, float(ts[-1])))
    return spans


def _mark_faults(
    tl: Timeline, name: str, full: float, *, rule: str, magnitude: float, unit: str
) -> None:
    """Record a truth fault interval for ``rule`` wherever parameter ``name`` is at least half of
    ``full`` (0 when the clip has no such fault)."""
    for a, b in _fault_span(tl, name, full):
        tl.intervals.append(Interval("fault", a, b, rule=rule, magnitude=magnitude, unit=unit))


# -- hip hinge -------------------------------------------------------------------------------


# How a rounding back shares its flexion: the lumbar spine loses its curve, the thoracic spine
# flexes most, and the neck lets the head hang toward the floor (the shoulders protract with the
# thoracic flexion, see ``body.build``).
ROUNDING_SHARE = {"lumbar": 0.25, "thoracic": 0.35, "neck": 0.40}


def hip_hinge(
    rng: np.random.Generator, fault: str | None, magnitude: float, view: str, reps: int = 3
) -> Script:
    """Stand, fidget (a shallow nod of the trunk), then hinge ``reps`` times.

    ``rounded_back`` adds ``magnitude`` degrees of total spinal flexion (shared as
    :data:`ROUNDING_SHARE`) on every rep after the first. ``too_fast`` makes every rep after the
    first take ``magnitude`` seconds from leaving the start to being back (down and up, no pause).
    """
    tl = Timeline({"knee": 4.0, "pitch": 0.0, "round": 0.0, "arm": 0.0})
    tl.pause(_u(rng, 0.8, 1.2))
    tl.move(0.6, pitch=_u(rng, 10, 18), arm=10)  # looks down at the feet: not a rep
    tl.move(0.6, pitch=0.0, arm=0)
    tl.pause(_u(rng, 0.6, 1.0))
    for i in range(reps):
        depth = _u(rng, 78, 92)
        faulty = fault == "rounded_back" and i >= 1
        rnd = magnitude if faulty else 0.0
        down, bottom, up = _u(rng, 1.2, 1.7), _u(rng, 0.3, 0.8), _u(rng, 1.2, 1.7)
        if fault == "too_fast" and i >= 1:
            down, bottom, up = magnitude / 2, 0.0, magnitude / 2
        t0, _ = tl.move(down, pitch=depth, knee=_u(rng, 14, 24), round=rnd, arm=depth * 0.8)
        tl.pause(bottom)
        _, t1 = tl.move(up, pitch=0.0, knee=4.0, round=0.0, arm=0)
        tl.intervals.append(Interval("rep", t0, t1))
        if fault == "too_fast" and i >= 1:
            tl.intervals.append(
                Interval("fault", t0, t1, rule="too_fast", magnitude=magnitude, unit="s per rep")
            )
        tl.pause(_u(rng, 0.7, 1.1))
    _mark_faults(
        tl,
        "round",
        magnitude if fault == "rounded_back" else 0,
        rule="neutral_spine",
        magnitude=magnitude,
        unit="deg total spinal flexion",
    )

    def pose_at(p: dict[str, float]) -> Body:
        arms = _both_arms(shoulder_flex_deg=p["arm"], shoulder_abd_deg=6, elbow_flex_deg=8)
        return P.stand(
            knee_flex_deg=p["knee"],
            trunk_pitch_deg=p["pitch"],
            shank_share=0.25,
            lumbar_flex_deg=ROUNDING_SHARE["lumbar"] * p["round"],
            thoracic_flex_deg=ROUNDING_SHARE["thoracic"] * p["round"],
            neck_flex_deg=ROUNDING_SHARE["neck"] * p["round"],
            arms=arms,
        )

    return Script("hip_hinge", tl, pose_at, view, "left", 1.0, 3.0, fault, magnitude)


# -- box squat -------------------------------------------------------------------------------


def box_squat(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    reps: int = 3,
    wobble_hz: float = 0.0,
) -> Script:
    """Stand, shift the arms forward, squat ``reps`` times to a knee-height box. ``knee_valgus``
    turns both knees inward by up to ``magnitude`` degrees about the hip-ankle line as the squat
    deepens (reps after the first), optionally wobbling at ``wobble_hz``."""
    tl = Timeline({"knee": 4.0, "valgus": 0.0, "arm": 0.0})
    tl.pause(_u(rng, 0.8, 1.2))
    tl.move(0.5, knee=18.0, arm=40)  # settling the stance: a small dip, not a rep
    tl.move(0.5, knee=4.0)
    tl.pause(_u(rng, 0.6, 0.9))
    for i in range(reps):
        depth = _u(rng, 88, 102)
        faulty = fault == "knee_valgus" and i >= 1
        v = magnitude if faulty else 0.0
        t0, _ = tl.move(_u(rng, 1.1, 1.6), knee=depth, valgus=v, arm=80)
        tl.pause(_u(rng, 0.3, 0.7))
        _, t1 = tl.move(_u(rng, 1.1, 1.6), knee=4.0, valgus=0.0, arm=40)
        tl.intervals.append(Interval("rep", t0, t1))
        tl.pause(_u(rng, 0.6, 1.0))
    _mark_faults(
        tl,
        "valgus",
        magnitude if fault == "knee_valgus" else 0,
        rule="knee_wobble",
        magnitude=magnitude,
        unit="deg knee turned in",
    )

    def pose_at(p: dict[str, float]) -> Body:
        arms = _both_arms(shoulder_flex_deg=p["arm"], shoulder_abd_deg=8, elbow_flex_deg=10)
        t = 0.0
        if wobble_hz and p["valgus"] > 0:
            t = p.get("_t", 0.0)
        v = (
            p["valgus"] * (0.5 + 0.5 * math.sin(2 * math.pi * wobble_hz * t))
            if wobble_hz
            else p["valgus"]
        )
        return P.stand(
            knee_flex_deg=p["knee"],
            trunk_pitch_deg=0.42 * p["knee"],
            shank_share=0.4,
            stance_half_m=0.14,
            toe_out_deg=12,
            valgus_deg=v,
            arms=arms,
        )

    return Script("box_squat", tl, pose_at, view, "left", 1.0, 3.0, fault, magnitude)


# -- glute bridge ----------------------------------------------------------------------------


def glute_bridge(
    rng: np.random.Generator, fault: str | None, magnitude: float, view: str, reps: int = 3
) -> Script:
    """Lie with straight legs, draw the knees up (getting into position), then bridge."""
    tl = Timeline({"hip": 5.0, "knee": 6.0, "bridge": 0.0})
    tl.pause(_u(rng, 0.6, 0.9))
    tl.move(_u(rng, 1.0, 1.4), hip=50.0, knee=100.0)
    tl.pause(_u(rng, 0.8, 1.1))
    _out_and_back(rng, tl, reps, "bridge", top=(24, 28), move_s=(1.1, 1.5), at_top_s=(0.5, 1.0))

    def pose_at(p: dict[str, float]) -> Body:
        arms = _both_arms(shoulder_flex_deg=-p["bridge"], shoulder_abd_deg=15, elbow_flex_deg=5)
        return P.supine(
            hip_flex={"left": p["hip"], "right": p["hip"]},
            knee_flex={"left": p["knee"], "right": p["knee"]},
            bridge_deg=p["bridge"],
            arms=arms,
        )

    return Script("glute_bridge", tl, pose_at, view, "left", 0.5, 2.6, fault, magnitude)


# -- clamshell -------------------------------------------------------------------------------


def clamshell(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    down_side: str = "left",
    reps: int = 4,
) -> Script:
    """Lie on the side with straight legs, bend the knees up, then open the top knee ``reps``
    times. ``hips_roll_back`` rolls the pelvis back by ``magnitude`` degrees while the knee opens
    (reps after the first)."""
    tl = Timeline({"hipf": 10.0, "knee": 10.0, "open": 0.0, "roll": 0.0})
    tl.pause(_u(rng, 0.5, 0.8))
    tl.move(_u(rng, 1.0, 1.3), hipf=45.0, knee=90.0)
    tl.pause(_u(rng, 0.6, 0.9))
    for i in range(reps):
        faulty = fault == "hips_roll_back" and i >= 1
        t0, _ = tl.move(_u(rng, 0.9, 1.3), open=_u(rng, 34, 44), roll=magnitude if faulty else 0.0)
        tl.pause(_u(rng, 0.3, 0.7))
        _, t1 = tl.move(_u(rng, 0.9, 1.3), open=0.0, roll=0.0)
        tl.intervals.append(Interval("rep", t0, t1))
        tl.pause(_u(rng, 0.5, 0.9))
    _mark_faults(
        tl,
        "roll",
        magnitude if fault == "hips_roll_back" else 0,
        rule="hips_stacked",
        magnitude=magnitude,
        unit="deg pelvis rolled back",
    )

    def pose_at(p: dict[str, float]) -> Body:
        return P.side_lying(
            down_side=down_side,
            hip_flex_deg=p["hipf"],
            knee_flex_deg=p["knee"],
            open_deg=p["open"],
            roll_back_deg=p["roll"],
        )

    return Script("clamshell", tl, pose_at, view, "left", 0.45, 2.4, fault, magnitude)


# -- side-lying leg abduction ----------------------------------------------------------------


def side_lying_leg_abduction(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    down_side: str = "left",
    reps: int = 4,
) -> Script:
    """Lie on the side with both legs straight and a little forward of the trunk, settle the top
    leg, then lift it straight toward the ceiling ``reps`` times (28-40 deg of abduction, a
    short pause at the top) and lower it back onto the bottom leg. No faults."""
    tl = Timeline({"hipf": 6.0, "knee": 6.0, "lift": 0.0})
    tl.pause(_u(rng, 0.5, 0.8))
    # Getting into position: the legs slide a little forward and the knees straighten.
    tl.move(_u(rng, 0.6, 0.9), hipf=_u(rng, 10, 16), knee=_u(rng, 2, 5))
    tl.pause(_u(rng, 0.6, 0.9))
    _out_and_back(rng, tl, reps, "lift", top=(28, 40), move_s=(1.0, 1.4), at_top_s=(0.3, 0.6))

    def pose_at(p: dict[str, float]) -> Body:
        return P.side_lying(
            down_side=down_side, hip_flex_deg=p["hipf"], knee_flex_deg=p["knee"], lift_deg=p["lift"]
        )

    return Script(
        "side_lying_leg_abduction", tl, pose_at, view, "left", 0.45, 2.4, fault, magnitude
    )


# -- supine figure-four stretch --------------------------------------------------------------


def figure_four(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    sides: tuple[str, ...] = ("right", "left"),
    hold_s: float = 4.0,
) -> Script:
    """Lie with knees bent; for each side cross that ankle over the other knee, pull the
    supporting thigh in and hold.

    Faults in the middle of each hold: ``pelvis_lift`` raises the hips ``magnitude`` cm off the
    floor (a partial bridge about the shoulders, the legs keeping the stretch);
    ``pelvis_twist`` rolls the pelvis ``magnitude`` degrees against the shoulders, the
    supporting leg's hip lifting (checked on the truth landmarks: right ankle crossed, the left
    hip rises 9 cm at 35 deg).
    """
    tl = Timeline({"sup": 50.0, "cross": 0.0, "lift": 0.0, "which": 0.0})
    tl.pause(_u(rng, 0.8, 1.1))
    for side in sides:
        w = 1.0 if side == "right" else -1.0
        tl.move(0.01, which=w)
        tl.move(_u(rng, 0.9, 1.2), cross=1.0)
        ta, _ = tl.move(_u(rng, 0.9, 1.2), sup=_u(rng, 112, 120))
        h = hold_s + _u(rng, -0.3, 0.3)
        if fault in ("pelvis_lift", "pelvis_twist"):
            tl.pause(h * 0.3)
            tl.move(0.5, lift=magnitude)
            tl.pause(h * 0.4 - 1.0)
            tl.move(0.5, lift=0.0)
            tl.pause(h * 0.3)
        else:
            tl.pause(h)
        tb, _ = tl.move(_u(rng, 0.9, 1.2), sup=50.0)
        tl.move(_u(rng, 0.8, 1.0), cross=0.0)
        tl.pause(_u(rng, 0.6, 0.9))
        tl.intervals.append(Interval("hold", ta, tb, side=side))
    units = {"pelvis_lift": "cm hips raised", "pelvis_twist": "deg pelvis twisted"}
    if fault in units:
        _mark_faults(
            tl, "lift", magnitude, rule="pelvis_down", magnitude=magnitude, unit=units[str(fault)]
        )

    def pose_at(p: dict[str, float]) -> Body:
        crossed = "right" if p["which"] >= 0 else "left"
        support = "left" if crossed == "right" else "right"
        # The supporting leg by angles; the crossed ankle reaches for a point just outside the
        # supporting knee, the crossed knee falling out to its own side.
        legs = {
            support: LegPose(
                hip_flex_deg=p["sup"], hip_abd_deg=2.0, knee_flex_deg=95, ankle_flex_deg=10
            )
        }
        legs[crossed] = LegPose(
            hip_flex_deg=p["sup"], hip_abd_deg=2.0, knee_flex_deg=95, ankle_flex_deg=10
        )
        # A positive twist turns the body's right side up, so this lifts the supporting leg's
        # hip. (An earlier comment said the crossed leg's; the truth landmarks say otherwise.
        # Either way it is a twist the rule must report.)
        rise_m = p["lift"] / 100 if fault == "pelvis_lift" else 0.0
        twist = p["lift"] * (1.0 if crossed == "left" else -1.0) if fault == "pelvis_twist" else 0.0
        flat = P.supine(legs=legs, anchor="neck_base", hip_rise_m=rise_m, pelvis_twist_deg=twist)
        j = flat.joints
        sg = 1.0 if crossed == "left" else -1.0
        lat = flat.pelvis_rot[:, 1] * sg
        up = flat.pelvis_rot[:, 0]
        rest = j[f"{support}_knee"] + 0.07 * lat + 0.05 * up
        c = p["cross"]
        # Blend from the foot on the floor (its own FK ankle) to resting on the knee. IK targets
        # are given relative to the pelvis, the frame ``supine`` builds in before settling.
        origin = j["pelvis"]
        target = j[f"{crossed}_ankle"] * (1 - c) + rest * c - origin
        hands = j[f"{support}_knee"] * 0.55 + j[f"{support}_hip"] * 0.45 + 0.06 * up - origin
        body = P.supine(
            legs={
                support: legs[support],
                crossed: LegPose(ankle=target, pole=unit(up + 1.2 * lat * c)),
            },
            anchor="neck_base",
            hip_rise_m=rise_m,
            pelvis_twist_deg=twist,
            arms={
                s: ArmPose(
                    wrist=hands,
                    pole=unit(-up + (0.8 if s == "left" else -0.8) * flat.pelvis_rot[:, 1]),
                )
                for s in ("left", "right")
            },
        )
        return body

    return Script(
        "supine_figure_four_stretch", tl, pose_at, view, "left", 0.5, 2.6, fault, magnitude
    )


# -- half-kneeling hip-flexor stretch --------------------------------------------------------


def _bounce(p: dict[str, float], amplitude: float, hz: float) -> float:
    """An oscillation about the held angle while ``p["bounce"]`` is on (0..1 ramps it)."""
    t = p.get("_t", 0.0)
    return p["bounce"] * amplitude * math.sin(2 * math.pi * hz * t)


def _bounce_up(p: dict[str, float], amplitude: float, hz: float) -> float:
    """A one-sided oscillation (0 .. 2 x ``amplitude``, ``hz`` cycles a second) for a stretch
    that cannot go deeper than its hold, while ``p["bounce"]`` is on."""
    t = p.get("_t", 0.0)
    return p["bounce"] * amplitude * (1.0 - math.cos(2 * math.pi * hz * t))


def _hold(tl: Timeline, hold_s: float, bouncing: bool) -> None:
    """Stay in the position ``hold_s`` seconds; bouncing, through the middle half of it (0.3 s
    to start and to stop the ``bounce`` key)."""
    if not bouncing:
        tl.pause(hold_s)
        return
    tl.pause(hold_s * 0.25)
    tl.move(0.3, bounce=1.0)
    tl.pause(hold_s * 0.5 - 0.6)
    tl.move(0.3, bounce=0.0)
    tl.pause(hold_s * 0.25)


def _bounce_faults(tl: Timeline, rule: str, amplitude: float, hz: float) -> None:
    _mark_faults(
        tl,
        "bounce",
        1.0 if amplitude > 0 else 0.0,
        rule=rule,
        magnitude=amplitude,
        unit=f"deg bounce amplitude at {hz:g} Hz",
    )


def hip_flexor_kneeling(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    sides: tuple[str, ...] = ("left", "right"),
    hold_s: float = 5.0,
    bounce_hz: float = 1.0,
) -> Script:
    """Kneel on both knees (tall kneeling), bring one foot forward (half-kneeling, that knee near
    90 deg), press the hips forward with the trunk upright and hold; back to both knees and the
    other side. The stretched side is the kneeling leg: ``sides`` names it.

    ``bouncing`` rocks the hips forward and back by ``magnitude`` degrees of thigh tilt at
    ``bounce_hz`` through the middle of each hold.
    """
    tl = Timeline({"fl": 0.0, "fr": 0.0, "lunge": 0.0, "bounce": 0.0, "lean": 0.0})
    tl.pause(_u(rng, 0.8, 1.1))
    tl.move(0.6, lean=8.0)  # settling the knees on the pad: not a stretch
    tl.move(0.6, lean=0.0)
    tl.pause(_u(rng, 0.4, 0.7))
    for side in sides:
        front = "fr" if side == "left" else "fl"
        tl.move(_u(rng, 0.9, 1.2), **{front: 1.0})
        tl.pause(_u(rng, 0.5, 0.8))
        ta, _ = tl.move(_u(rng, 1.2, 1.6), lunge=_u(rng, 18, 22))
        h = hold_s + _u(rng, -0.3, 0.3)
        _hold(tl, h, bouncing=fault == "bouncing")
        tb, _ = tl.move(_u(rng, 1.0, 1.3), lunge=0.0)
        tl.pause(_u(rng, 0.4, 0.7))
        tl.move(_u(rng, 0.9, 1.2), **{front: 0.0})
        tl.pause(_u(rng, 0.6, 0.9))
        tl.intervals.append(Interval("hold", ta, tb, side=side))
    if fault == "bouncing":
        _bounce_faults(tl, "no_bouncing", magnitude, bounce_hz)

    def pose_at(p: dict[str, float]) -> Body:
        lunge = p["lunge"]
        if fault == "bouncing":
            lunge += _bounce(p, magnitude, bounce_hz)
        return P.half_kneel(
            forward={"left": p["fl"], "right": p["fr"]},
            lunge_deg=lunge,
            trunk_pitch_deg=p["lean"],
        )

    return Script(
        "hip_flexor_kneeling_stretch",
        tl,
        pose_at,
        view,
        "left",
        0.9,
        2.8,
        fault,
        magnitude,
        look_height_m=0.6,
    )


# -- child's pose ----------------------------------------------------------------------------


def childs_pose(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    hold_s: float = 6.0,
    bounce_hz: float = 1.0,
) -> Script:
    """Kneel sitting back on the heels, fold the trunk forward over the thighs walking the hands
    out on the floor, hold, and come back up. ``bouncing`` rocks the trunk up out of the fold and
    back, ``bounce_hz`` times a second, through the middle of the hold: 2 x ``magnitude`` degrees
    from the fold at the top of each bounce (the same swing as the other scripts' +-magnitude)."""
    tl = Timeline({"fold": 0.0, "round": 0.0, "reach": 0.0, "bounce": 0.0})
    tl.pause(_u(rng, 1.0, 1.4))
    ta, _ = tl.move(_u(rng, 2.0, 2.6), fold=_u(rng, 70, 74), round=_u(rng, 30, 36), reach=1.0)
    h = hold_s + _u(rng, -0.4, 0.4)
    _hold(tl, h, bouncing=fault == "bouncing")
    tb, _ = tl.move(_u(rng, 2.0, 2.6), fold=0.0, round=0.0, reach=0.0)
    tl.pause(_u(rng, 0.8, 1.2))
    tl.intervals.append(Interval("hold", ta, tb))
    if fault == "bouncing":
        _bounce_faults(tl, "no_bouncing", magnitude, bounce_hz)

    def pose_at(p: dict[str, float]) -> Body:
        fold = p["fold"]
        if fault == "bouncing":
            fold -= _bounce_up(p, magnitude, bounce_hz)
        return P.kneel_fold(fold_deg=fold, spine_round_deg=p["round"], reach=p["reach"])

    return Script(
        "childs_pose", tl, pose_at, view, "left", 0.7, 2.3, fault, magnitude, look_height_m=0.35
    )


# -- seated figure-four stretch --------------------------------------------------------------


def seated_figure_four(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    sides: tuple[str, ...] = ("right", "left"),
    hold_s: float = 5.0,
    bounce_hz: float = 1.0,
) -> Script:
    """Sit on a stool slightly slumped and sit up tall (getting into position); for each side rest
    that ankle on the other knee, lean forward from the hips with a straight back and hold, come
    back up and put the foot down. The stretched side is the crossed leg: ``sides`` names it.

    The clinic sheet holds 20-30 s; the clip holds ``hold_s`` like the other stretch scripts.
    ``bouncing`` rocks the lean forward and back by ``magnitude`` degrees at ``bounce_hz``
    through the middle of each hold.
    """
    tl = Timeline({"cross": 0.0, "which": 1.0, "lean": 0.0, "slouch": 1.0, "bounce": 0.0})
    tl.pause(_u(rng, 0.8, 1.1))
    tl.move(_u(rng, 0.8, 1.1), slouch=0.0)  # sits up tall
    tl.move(0.6, lean=_u(rng, 8, 14))  # shuffles forward on the seat: not a stretch
    tl.move(0.6, lean=0.0)
    tl.pause(_u(rng, 0.4, 0.7))
    for side in sides:
        tl.move(0.01, which=1.0 if side == "right" else -1.0)
        tl.move(_u(rng, 1.0, 1.3), cross=1.0)
        tl.pause(_u(rng, 0.4, 0.7))
        ta, _ = tl.move(_u(rng, 1.4, 1.8), lean=_u(rng, 38, 46))
        h = hold_s + _u(rng, -0.3, 0.3)
        _hold(tl, h, bouncing=fault == "bouncing")
        tb, _ = tl.move(_u(rng, 1.3, 1.7), lean=0.0)
        tl.pause(_u(rng, 0.3, 0.6))
        tl.move(_u(rng, 0.9, 1.2), cross=0.0)
        tl.pause(_u(rng, 0.6, 0.9))
        tl.intervals.append(Interval("hold", ta, tb, side=side))
    if fault == "bouncing":
        _bounce_faults(tl, "no_bouncing", magnitude, bounce_hz)

    def pose_at(p: dict[str, float]) -> Body:
        lean = p["lean"]
        if fault == "bouncing":
            lean += _bounce(p, magnitude, bounce_hz)
        return P.sit(
            lean_deg=lean,
            slouch_deg=12.0 * p["slouch"],
            crossed="right" if p["which"] >= 0 else "left",
            cross=p["cross"],
        )

    return Script(
        "seated_figure_four_stretch",
        tl,
        pose_at,
        view,
        "left",
        0.95,
        2.8,
        fault,
        magnitude,
        look_height_m=0.65,
        seat=P.stool_under(),
    )


# -- standing stretches -----------------------------------------------------------------------


def _standing(
    exercise: str,
    tl: Timeline,
    pose_at: Callable[[dict[str, float]], Body],
    view: str,
    fault: str | None,
    magnitude: float,
    head_in_frame: bool,
) -> Script:
    """A standing stretch filmed from 3 m at hip height, or (``head_in_frame=False``) framed so
    that the head is out of the picture (:data:`HEAD_OUT_TOP_EDGE_M`)."""
    return Script(
        exercise,
        tl,
        pose_at,
        view,
        "left",
        1.0,
        3.0,
        fault,
        magnitude,
        top_edge_m=None if head_in_frame else HEAD_OUT_TOP_EDGE_M,
    )


def _settle_in(rng: np.random.Generator, tl: Timeline, **nod: float) -> None:
    """Stand, then a small movement that is not the stretch (``nod``: parameters and back)."""
    tl.pause(_u(rng, 0.8, 1.1))
    rest = {k: tl.keys[-1][1][k] for k in nod}
    tl.move(0.5, **nod)
    tl.move(0.5, **rest)
    tl.pause(_u(rng, 0.4, 0.7))


def quad_stretch_standing(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    hold_s: float = 5.0,
    head_in_frame: bool = True,
) -> Script:
    """Stand, shift the weight, fold the left knee behind, take hold of the ankle and draw the
    heel in (knee 130-145 deg), hold; let go and stand. The truth hold runs from the hand taking
    the foot to letting go."""
    tl = Timeline({"knee": 3.0, "back": 0.0, "grab": 0.0, "lean": 0.0})
    _settle_in(rng, tl, lean=_u(rng, 3, 6))
    tl.move(_u(rng, 0.6, 0.8), knee=95.0, back=5.0)
    ta, _ = tl.move(_u(rng, 0.5, 0.7), knee=_u(rng, 130, 145), back=_u(rng, 3, 8), grab=1.0)
    tl.pause(hold_s + _u(rng, -0.3, 0.3))
    tb, _ = tl.move(_u(rng, 0.4, 0.6), knee=95.0, grab=0.0)
    tl.move(_u(rng, 0.5, 0.7), knee=3.0, back=0.0)
    tl.pause(_u(rng, 0.8, 1.1))
    tl.intervals.append(Interval("hold", ta, tb, side="left"))

    def pose_at(p: dict[str, float]) -> Body:
        return P.stand_on_one_leg(
            bent="left",
            knee_flex_deg=p["knee"],
            thigh_back_deg=p["back"],
            grab=p["grab"],
            trunk_pitch_deg=p["lean"],
        )

    return _standing("quad_stretch_standing", tl, pose_at, view, fault, magnitude, head_in_frame)


def hamstring_stretch_standing(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    hold_s: float = 5.0,
    head_in_frame: bool = True,
) -> Script:
    """Stand, look down at the feet, fold forward from the hips on straight legs (70-85 deg)
    with the hands sliding down the legs, hold; come up."""
    tl = Timeline({"pitch": 0.0, "knee": 4.0, "arm": 0.0})
    _settle_in(rng, tl, pitch=_u(rng, 10, 15))
    depth = _u(rng, 70, 85)
    ta, _ = tl.move(_u(rng, 1.4, 1.8), pitch=depth, knee=_u(rng, 4, 10), arm=depth * 0.9)
    tl.pause(hold_s + _u(rng, -0.3, 0.3))
    tb, _ = tl.move(_u(rng, 1.4, 1.8), pitch=0.0, knee=4.0, arm=0.0)
    tl.pause(_u(rng, 0.8, 1.1))
    tl.intervals.append(Interval("hold", ta, tb))

    def pose_at(p: dict[str, float]) -> Body:
        arms = _both_arms(shoulder_flex_deg=p["arm"], shoulder_abd_deg=6, elbow_flex_deg=8)
        return P.stand(
            knee_flex_deg=p["knee"], trunk_pitch_deg=p["pitch"], shank_share=0.25, arms=arms
        )

    return _standing(
        "hamstring_stretch_standing", tl, pose_at, view, fault, magnitude, head_in_frame
    )


def _step_back(
    rng: np.random.Generator,
    exercise: str,
    view: str,
    fault: str | None,
    magnitude: float,
    hold_s: float,
    head_in_frame: bool,
    front_m: float,
    back_m: float,
    drop_m: float,
    lean_deg: float,
) -> Script:
    """Stand, reach the hands forward (onto a wall), step the left leg back, sink into the
    stretch (``drop_m``, ``lean_deg``), hold; come back up, step in, hands down."""
    tl = Timeline({"step": 0.0, "drop": 0.0, "reach": 0.0, "lean": 0.0})
    _settle_in(rng, tl, reach=0.3)
    tl.move(_u(rng, 0.5, 0.7), reach=1.0)
    tl.move(_u(rng, 0.8, 1.0), step=1.0)
    ta, _ = tl.move(_u(rng, 0.8, 1.0), drop=drop_m, lean=lean_deg)
    tl.pause(hold_s + _u(rng, -0.3, 0.3))
    tb, _ = tl.move(_u(rng, 0.6, 0.8), drop=0.0, lean=0.0)
    tl.move(_u(rng, 0.8, 1.0), step=0.0)
    tl.move(_u(rng, 0.5, 0.7), reach=0.0)
    tl.pause(_u(rng, 0.8, 1.1))
    tl.intervals.append(Interval("hold", ta, tb, side="left"))

    def pose_at(p: dict[str, float]) -> Body:
        return P.stand_split(
            back="left",
            front_m=front_m * p["step"],
            back_m=back_m * p["step"],
            drop_m=p["drop"],
            trunk_pitch_deg=p["lean"],
            reach=p["reach"],
        )

    return _standing(exercise, tl, pose_at, view, fault, magnitude, head_in_frame)


def hip_flexor_standing_stretch(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    hold_s: float = 5.0,
    head_in_frame: bool = True,
) -> Script:
    """Hands on a wall, the left leg stepped well back, the trunk upright, the front knee
    bending as the hips sink: the front of the back hip stretches."""
    return _step_back(
        rng,
        "hip_flexor_standing_stretch",
        view,
        fault,
        magnitude,
        hold_s,
        head_in_frame,
        front_m=_u(rng, 0.25, 0.3),
        back_m=_u(rng, 0.35, 0.4),
        drop_m=_u(rng, 0.05, 0.08),
        lean_deg=_u(rng, 0, 4),
    )


def calf_stretch_wall(
    rng: np.random.Generator,
    fault: str | None,
    magnitude: float,
    view: str,
    hold_s: float = 5.0,
    head_in_frame: bool = True,
) -> Script:
    """Hands on a wall, the left leg stepped back straight with the heel down, leaning the body
    in toward the wall: the back calf stretches."""
    return _step_back(
        rng,
        "calf_stretch_wall",
        view,
        fault,
        magnitude,
        hold_s,
        head_in_frame,
        front_m=_u(rng, 0.12, 0.16),
        back_m=_u(rng, 0.26, 0.3),
        drop_m=0.0,
        lean_deg=_u(rng, 8, 12),
    )


SCRIPTS: dict[str, Callable[..., Script]] = {
    "hip_hinge": hip_hinge,
    "box_squat": box_squat,
    "glute_bridge": glute_bridge,
    "clamshell": clamshell,
    "side_lying_leg_abduction": side_lying_leg_abduction,
    "supine_figure_four_stretch": figure_four,
    "hip_flexor_kneeling_stretch": hip_flexor_kneeling,
    "childs_pose": childs_pose,
    "seated_figure_four_stretch": seated_figure_four,
    "quad_stretch_standing": quad_stretch_standing,
    "hamstring_stretch_standing": hamstring_stretch_standing,
    "hip_flexor_standing_stretch": hip_flexor_standing_stretch,
    "calf_stretch_wall": calf_stretch_wall,
}
