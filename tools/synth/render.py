"""Drawing the figure: shaded capsules and an ellipsoid head, far to near (painter's algorithm).

Each body segment is a tapered capsule (the trunk an elliptic one). Its outline is the convex hull
of the two projected end discs; shading is three nested hulls, darker at the rim and lighter toward
the light, which reads as a lit cylinder. This is an edge module: it imports cv2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from tools.synth.body import Body, Vec, rot_z, unit
from tools.synth.camera import Camera
from tools.synth.poses import Seat

Rgb = tuple[int, int, int]
Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Look:
    """Colours (RGB) of the figure and the room."""

    skin: Rgb = (224, 172, 138)
    top: Rgb = (38, 120, 170)
    trousers: Rgb = (40, 44, 62)
    shoes: Rgb = (235, 235, 235)
    hair: Rgb = (60, 40, 28)
    wall: Rgb = (206, 202, 192)
    floor: Rgb = (150, 118, 88)
    mat: Rgb = (92, 130, 110)
    seat: Rgb = (196, 150, 96)  # a pine stool, lighter than the floor


LOOK = Look()
_SHADES = ((1.0, 0.58, 0.0), (0.78, 0.82, 0.18), (0.45, 1.0, 0.38))  # scale, brightness, shift
_DISC = np.stack(
    [
        np.cos(np.linspace(0, 2 * np.pi, 14, endpoint=False)),
        np.sin(np.linspace(0, 2 * np.pi, 14, endpoint=False)),
    ],
    axis=1,
)
_LIGHT_IMG = np.array([-0.45, -0.89])  # light from the upper left of the image


def _scale(c: Rgb, k: float) -> Rgb:
    return (min(255, int(c[0] * k)), min(255, int(c[1] * k)), min(255, int(c[2] * k)))


@dataclass
class _Capsule:
    a: Vec
    b: Vec
    ra: float
    rb: float
    color: Rgb
    lateral: Vec | None = None  # elliptic cross-section: (lateral axis, half-width, half-depth)
    forward: Vec | None = None
    half_w: float = 0.0
    half_d: float = 0.0


def background(
    cam: Camera,
    look: Look = LOOK,
    mat: tuple[Vec, Vec] | None = None,
    seat: Seat | None = None,
) -> Image:
    """Wall above the horizon, floor below (darker with distance), optionally an exercise mat
    given as its two opposite floor corners and a stool.

    The stool is part of the background, so the figure is always drawn over it: it can never hide
    the buttocks or the hip landmarks, whichever way the camera looks."""
    w, h = cam.width, cam.height
    rot = cam.rotation
    f = cam.focal_px
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    rays = np.stack([(xs - w / 2) / f, (ys - h / 2) / f, np.ones_like(xs)], axis=-1) @ rot
    cz = cam.position[2]
    down = rays[..., 2] < -1e-6
    t = np.where(down, -cz / np.where(down, rays[..., 2], -1.0), np.inf)
    fwd = rot[2, :2] / (np.linalg.norm(rot[2, :2]) or 1.0)
    dist = t * np.linalg.norm(rays[..., :2], axis=-1)
    # A back wall square to the camera's heading, 6 m away: a straight skirting line.
    along = np.where(down, t * (rays[..., 0] * fwd[0] + rays[..., 1] * fwd[1]), np.inf)
    floor = down & (along < 6.0)
    img = np.empty((h, w, 3), np.float64)
    img[:] = np.array(look.wall, np.float64) * (0.92 + 0.08 * (ys / h))[..., None]
    shade = np.clip(1.05 - dist / 14.0, 0.6, 1.05)
    hit_x = np.where(floor, cam.position[0] + np.where(floor, t, 0.0) * rays[..., 0], 0.0)
    plank = 0.94 + 0.06 * (np.floor(hit_x / 0.18) % 2)
    floor_rgb = np.array(look.floor, np.float64)[None, None, :] * (shade * plank)[..., None]
    img[floor] = floor_rgb[floor]
    out = np.clip(img, 0, 255).astype(np.uint8)
    if mat is not None:
        (x0, y0, _), (x1, y1, _) = mat
        corners = np.array([[x0, y0, 0.005], [x1, y0, 0.005], [x1, y1, 0.005], [x0, y1, 0.005]])
        xy, depth = cam.project(corners)
        if (depth > 0.05).all():
            cv2.fillConvexPoly(out, np.round(xy * 16).astype(np.int32), look.mat, cv2.LINE_AA, 4)
    if seat is not None:
        _draw_seat(out, cam, seat, look.seat)
    return out


_LIGHT_WORLD = unit(np.array([0.3, 0.5, 1.0]))


def _draw_box(img: Image, cam: Camera, center: Vec, axes: Vec, half: Vec, color: Rgb) -> None:
    """A solid box (``axes`` columns: its unit axes, ``half`` its half-extents): the faces that
    look toward the camera, each shaded by its angle to a fixed light. The visible faces of a
    convex box never overlap, so their order does not matter."""
    eye = np.array(cam.position)
    for k in range(3):
        for sign in (-1.0, 1.0):
            n = axes[:, k] * sign
            face_c = center + n * half[k]
            if float(n @ (eye - face_c)) <= 0:
                continue
            i, j = [a for a in range(3) if a != k]
            u, v = axes[:, i] * half[i], axes[:, j] * half[j]
            quad = np.stack([face_c - u - v, face_c + u - v, face_c + u + v, face_c - u + v])
            xy, depth = cam.project(quad)
            if (depth < 0.1).any():
                continue
            shade = 0.62 + 0.38 * max(0.0, float(n @ _LIGHT_WORLD))
            cv2.fillConvexPoly(
                img, np.round(xy * 16).astype(np.int32), _scale(color, shade), cv2.LINE_AA, 4
            )


def _draw_seat(img: Image, cam: Camera, seat: Seat, color: Rgb) -> None:
    """A stool: four square legs (far to near), then the top over them."""
    axes = rot_z(seat.facing_deg)
    c = np.array([seat.center_xy[0], seat.center_xy[1], 0.0])
    leg_h = seat.height_m - seat.top_m
    inset_x = seat.half_depth_m - seat.leg_m
    inset_y = seat.half_width_m - seat.leg_m
    legs = [
        c + axes @ np.array([sx * inset_x, sy * inset_y, leg_h / 2])
        for sx in (-1.0, 1.0)
        for sy in (-1.0, 1.0)
    ]
    half_leg = np.array([seat.leg_m / 2, seat.leg_m / 2, leg_h / 2])
    depth = cam.to_camera(np.stack(legs))[:, 2]
    for i in np.argsort(-depth, kind="stable"):
        _draw_box(img, cam, legs[i], axes, half_leg, _scale(color, 0.8))
    top = c + np.array([0.0, 0.0, seat.height_m - seat.top_m / 2])
    half_top = np.array([seat.half_depth_m, seat.half_width_m, seat.top_m / 2])
    _draw_box(img, cam, top, axes, half_top, color)


def _hull(pa: Vec, pb: Vec, ra: float, rb: float) -> npt.NDArray[np.int32]:
    pts = np.concatenate([pa + _DISC * ra, pb + _DISC * rb])
    hull = cv2.convexHull(np.round(pts * 16).astype(np.int32))
    return np.asarray(hull, np.int32)


def _draw_capsule(img: Image, cam: Camera, c: _Capsule) -> None:
    xy, depth = cam.project(np.stack([c.a, c.b]))
    if (depth < 0.1).any():
        return
    f = cam.focal_px
    if c.lateral is not None and c.forward is not None:
        # Orthographic width of an elliptic cylinder across the line of sight.
        mid = (c.a + c.b) / 2
        view = unit(mid - np.array(cam.position))
        n3 = unit(np.cross(c.b - c.a, view))
        half = math.hypot(c.half_w * float(c.lateral @ n3), c.half_d * float(c.forward @ n3))
        ra, rb = half * f / depth[0], half * f / depth[1]
    else:
        ra, rb = c.ra * f / depth[0], c.rb * f / depth[1]
    pa, pb = xy[0], xy[1]
    axis = pb - pa
    n = np.array([-axis[1], axis[0]])
    n = n / (np.linalg.norm(n) or 1.0)
    if float(n @ _LIGHT_IMG) < 0:
        n = -n
    for scale, bright, shift in _SHADES:
        off = n * shift * (ra + rb) / 2
        cv2.fillConvexPoly(
            img,
            _hull(pa + off, pb + off, ra * scale, rb * scale),
            _scale(c.color, bright),
            cv2.LINE_AA,
            4,
        )


def _draw_head(img: Image, cam: Camera, body: Body, look: Look) -> None:
    j = body.joints
    head = j["head"]
    hr = body.head_rot
    to_cam = unit(np.array(cam.position) - head)
    _, (hd,) = cam.project(head[None])
    f = cam.focal_px
    r = 0.1 * f / hd
    facing = float(hr[:, 0] @ to_cam)
    hair_c = head - hr[:, 0] * 0.018 + hr[:, 2] * 0.012
    (hair_xy,), (hair_d,) = cam.project(hair_c[None])
    face_c = head + hr[:, 0] * 0.01 - hr[:, 2] * 0.01
    (face_xy,), _ = cam.project(face_c[None])

    def disc(center: Vec, radius: float, color: Rgb) -> None:
        for scale, bright, shift in _SHADES:
            c = center + _LIGHT_IMG * shift * radius * 0.6
            cv2.circle(
                img,
                tuple(np.round(c * 16).astype(int)),
                max(1, int(radius * scale * 16)),
                _scale(color, bright),
                -1,
                cv2.LINE_AA,
                4,
            )

    hair_r = 0.104 * f / hair_d
    if facing > 0:
        disc(hair_xy, hair_r, look.hair)
        disc(face_xy, r * 0.93, look.skin)
    else:
        disc(face_xy, r * 0.93, look.skin)
        disc(hair_xy, hair_r, look.hair)

    def visible(name: str) -> bool:
        return float(unit(j[name] - head) @ to_cam) > 0.15

    for side in ("left", "right"):
        ear = f"{side}_ear"
        if visible(ear):
            (p,), _ = cam.project(j[ear][None])
            cv2.ellipse(
                img,
                tuple(np.round(p * 16).astype(int)),
                (max(1, int(r * 0.16 * 16)), max(1, int(r * 0.26 * 16))),
                0,
                0,
                360,
                _scale(look.skin, 0.8),
                -1,
                cv2.LINE_AA,
                4,
            )
    for side in ("left", "right"):
        eye = f"{side}_eye"
        if visible(eye):
            (p,), _ = cam.project(j[eye][None])
            ctr = tuple(np.round(p * 16).astype(int))
            cv2.circle(img, ctr, max(1, int(r * 0.15 * 16)), (245, 245, 245), -1, cv2.LINE_AA, 4)
            cv2.circle(img, ctr, max(1, int(r * 0.085 * 16)), (40, 30, 25), -1, cv2.LINE_AA, 4)
            brow = j[eye] + hr[:, 2] * 0.022
            (q,), _ = cam.project(brow[None])
            bq = tuple(np.round(q * 16).astype(int))
            cv2.ellipse(
                img,
                bq,
                (max(1, int(r * 0.18 * 16)), max(1, int(r * 0.04 * 16))),
                0,
                0,
                360,
                look.hair,
                -1,
                cv2.LINE_AA,
                4,
            )
    if visible("nose"):
        (p,), _ = cam.project(j["nose"][None])
        (q,), _ = cam.project((head + hr[:, 0] * 0.085)[None])
        cv2.line(
            img,
            tuple(np.round(q * 16).astype(int)),
            tuple(np.round(p * 16).astype(int)),
            _scale(look.skin, 0.75),
            max(1, int(r * 0.12)),
            cv2.LINE_AA,
            4,
        )
        cv2.circle(
            img,
            tuple(np.round(p * 16).astype(int)),
            max(1, int(r * 0.09 * 16)),
            _scale(look.skin, 0.82),
            -1,
            cv2.LINE_AA,
            4,
        )
    if visible("mouth_left") or visible("mouth_right"):
        (a, b), _ = cam.project(np.stack([j["mouth_left"], j["mouth_right"]]))
        cv2.line(
            img,
            tuple(np.round(a * 16).astype(int)),
            tuple(np.round(b * 16).astype(int)),
            (150, 60, 60),
            max(1, int(r * 0.07)),
            cv2.LINE_AA,
            4,
        )


def _capsules(body: Body, look: Look) -> list[_Capsule]:
    j = body.joints
    caps: list[_Capsule] = [
        _Capsule(
            j["pelvis"],
            j["spine_mid"],
            0,
            0,
            look.top,
            body.lumbar_rot[:, 1],
            body.lumbar_rot[:, 0],
            0.16,
            0.105,
        ),
        _Capsule(
            j["spine_mid"],
            j["neck_base"] - body.thorax_rot[:, 2] * 0.04,
            0,
            0,
            look.top,
            body.thorax_rot[:, 1],
            body.thorax_rot[:, 0],
            0.17,
            0.11,
        ),
        _Capsule(j["left_shoulder"], j["right_shoulder"], 0.065, 0.065, look.top),
        _Capsule(j["left_hip"], j["right_hip"], 0.1, 0.1, look.trousers),
        _Capsule(j["neck_base"], j["head_base"], 0.052, 0.05, look.skin),
    ]
    for s in ("left", "right"):
        caps += [
            _Capsule(j[f"{s}_hip"], j[f"{s}_knee"], 0.088, 0.06, look.trousers),
            _Capsule(j[f"{s}_knee"], j[f"{s}_ankle"], 0.058, 0.042, look.trousers),
            _Capsule(j[f"{s}_heel"], j[f"{s}_foot_index"], 0.042, 0.036, look.shoes),
            _Capsule(j[f"{s}_ankle"], j[f"{s}_heel"], 0.042, 0.042, look.shoes),
            _Capsule(j[f"{s}_shoulder"], j[f"{s}_elbow"], 0.055, 0.045, look.top),
            _Capsule(j[f"{s}_elbow"], j[f"{s}_wrist"], 0.04, 0.031, look.skin),
            _Capsule(j[f"{s}_wrist"], j[f"{s}_index"], 0.034, 0.026, look.skin),
        ]
    return caps


def draw(bg: Image, cam: Camera, body: Body, look: Look = LOOK) -> Image:
    """The figure over a copy of the background."""
    img = bg.copy()
    caps = _capsules(body, look)
    mids = np.stack([(c.a + c.b) / 2 for c in caps] + [body.joints["head"]])
    depth = cam.to_camera(mids)[:, 2]
    for i in np.argsort(-depth, kind="stable"):
        if i == len(caps):
            _draw_head(img, cam, body, look)
        else:
            _draw_capsule(img, cam, caps[i])
    return img
