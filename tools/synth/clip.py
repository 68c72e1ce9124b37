"""Render a script to an MP4 and write its truth JSON beside it.

Truth per frame: every landmark the figure has, in image pixels and in MediaPipe-style world
coordinates (metres, origin between the hips, camera-aligned axes: x right, y down, z away from
the camera), and the spec signals computed from those true points with the catalog's own
functions (:mod:`formcheck.signals.catalog`), for the left and the right side.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from formcheck.landmarks import INDEX, LANDMARK_NAMES, NUM_LANDMARKS, LandmarkSeries, PoseFrame
from formcheck.signals.catalog import SIGNALS, SignalContext
from formcheck.types import SeenView, WorkingSide
from tools.synth import poses as P
from tools.synth.body import Body, unit
from tools.synth.camera import HFOV_DEG, Camera, place_camera
from tools.synth.render import background, draw
from tools.synth.scripts import SCRIPTS, Script

TRUTH_VERSION = 1
TRUTH_SUFFIX = ".truth.json"

# Camera placements for side-lying scripts beyond the three views, each with the view the engine
# should see from there. On the floor at the head end, looking along the body toward the feet,
# and half-way between that and the front (the diagonal toward the head, as the diagonal view
# is toward the feet). From either, the body's left-right axis stands upright in the picture,
# as it does from in front.
HEAD_END = "head"
HEAD_DIAGONAL = "head_diagonal"
_SIDE_LYING_PLACEMENTS: dict[str, SeenView] = {HEAD_END: "front", HEAD_DIAGONAL: "diagonal"}


def seen_view(placement: str) -> SeenView:
    """The view a camera placement stands for: a spec view as it is, a side-lying head-end
    placement as the view the engine reads there."""
    if placement in _SIDE_LYING_PLACEMENTS:
        return _SIDE_LYING_PLACEMENTS[placement]
    if placement not in ("side", "front", "diagonal"):
        raise ValueError(f"unknown camera placement {placement!r}")
    return cast(SeenView, placement)


@dataclass(frozen=True)
class ClipSpec:
    """Everything that determines one rendered clip."""

    name: str
    exercise: str
    view: str
    seed: int
    fault: str | None = None
    magnitude: float = 0.0
    fps: float = 20.0
    width: int = 480
    height: int = 360
    options: dict[str, Any] = field(default_factory=dict)

    def script(self) -> Script:
        rng = np.random.default_rng(self.seed)
        return SCRIPTS[self.exercise](rng, self.fault, self.magnitude, self.view, **self.options)


def _camera(script: Script, first: Body, width: int, height: int) -> Camera:
    fwd, left = P.heading(first)
    j = first.joints
    view = script.view
    side_lying = abs(first.pelvis_rot[2, 1]) > 0.7  # the body's left-right axis is vertical
    if view in _SIDE_LYING_PLACEMENTS and not side_lying:
        raise ValueError(f"the {view!r} camera is for side-lying scripts, not {script.exercise}")
    if script.camera_height_m < 0.8:  # lying: aim at the middle of the body, low
        mid = (j["pelvis"] + j["neck_base"]) / 2 * 0.6 + (
            j["left_knee"] + j["right_knee"]
        ) / 2 * 0.4
        look = np.array([mid[0], mid[1], 0.25])
        if side_lying:
            # The front view faces the body's front; the diagonal looks from in front and toward
            # the feet, where the clamshell spec wants it; the side view looks from the feet.
            fwd = unit(first.thorax_rot[:, 0] * np.array([1.0, 1.0, 0.0]))
            feet = unit(-first.pelvis_rot[:, 2] * np.array([1.0, 1.0, 0.0]))
            left = feet if script.near_side == "left" else -feet
            if view == HEAD_END:
                fwd, view = -feet, "front"  # along the body from beyond the head
            elif view == HEAD_DIAGONAL:
                fwd, view = unit(fwd - feet), "front"  # from in front and toward the head
        else:
            left = unit(first.pelvis_rot[:, 1] * np.array([1.0, 1.0, 0.0]))
            fwd = np.cross(left, np.array([0.0, 0.0, 1.0]))
    else:
        look = np.array([j["pelvis"][0], j["pelvis"][1], 0.85])
    if script.look_height_m is not None:
        look[2] = script.look_height_m
    distance, camera_height = script.camera_distance_m, script.camera_height_m
    if script.top_edge_m is not None:
        # A level camera whose picture spans from just under the feet to ``top_edge_m`` at the
        # body: aimed at the middle of that span, as far away as the vertical field of view needs.
        bottom = -0.04
        half_v = math.atan(math.tan(math.radians(HFOV_DEG) / 2) * height / width)
        look[2] = camera_height = (script.top_edge_m + bottom) / 2
        distance = (script.top_edge_m - bottom) / 2 / math.tan(half_v)
    return place_camera(
        view,
        fwd,
        left,
        script.near_side,
        look,
        distance,
        camera_height,
        width,
        height,
        HFOV_DEG,
    )


def true_pose_frame(body: Body, cam: Camera, t_s: float) -> PoseFrame:
    """The figure's true landmarks as a :class:`PoseFrame` (visibility 1 everywhere)."""
    pts = np.stack([body.joints[n] for n in LANDMARK_NAMES])
    xy, _ = cam.project(pts)
    hips = (body.joints["left_hip"] + body.joints["right_hip"]) / 2
    world = (pts - hips) @ cam.rotation.T
    return PoseFrame(t_s, xy, world, np.ones(NUM_LANDMARKS), (cam.width, cam.height))


def true_series(spec: ClipSpec) -> LandmarkSeries:
    """The figure's true landmarks through the clip's camera, every frame, without drawing or
    encoding: what the engine would get from a pose model that never errs."""
    script = spec.script()
    tl = script.timeline
    cam = _camera(script, script.pose_at(tl.at(0.0)), spec.width, spec.height)
    times = [i / spec.fps for i in range(math.floor(tl.t * spec.fps) + 1)]
    frames: list[PoseFrame | None] = []
    for t in times:
        params = tl.at(t)
        params["_t"] = t
        frames.append(true_pose_frame(script.pose_at(params), cam, t))
    return LandmarkSeries.from_frames(times, frames, (spec.width, spec.height), spec.name)


KEY_ANGLES = ("knee_flexion_deg", "hip_flexion_deg", "spine_flexion_deg", "trunk_incline_deg")


def truth_signals(
    frame: PoseFrame, view: SeenView, names: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """The named catalog signals from the true landmarks, per side, with the true view."""
    out: dict[str, dict[str, float]] = {}
    sides: tuple[WorkingSide, ...] = ("left", "right", "both")
    for side in sides:
        ctx = SignalContext(view, side)
        out[side] = {n: round(float(SIGNALS[n].fn(frame, ctx)), 2) for n in names}
    return out


def render_clip(spec: ClipSpec, out_dir: Path) -> tuple[Path, Path]:
    """Write ``<name>.mp4`` and ``<name>.truth.json`` into ``out_dir``."""
    from formcheck.source.video import VideoWriter  # PyAV: an edge import

    script = spec.script()
    tl = script.timeline
    n = math.floor(tl.t * spec.fps) + 1
    first = script.pose_at(tl.at(0.0))
    cam = _camera(script, first, spec.width, spec.height)
    lying = script.camera_height_m < 0.8
    mat = None
    if lying:
        j = first.joints
        c = (j["pelvis"] + j["neck_base"]) / 2
        mat = (c - np.array([1.1, 1.1, 0]), c + np.array([1.1, 1.1, 0]))
    bg = background(cam, mat=mat, seat=script.seat)
    from formcheck.specs.loader import load_spec

    names = tuple(dict.fromkeys((*KEY_ANGLES, *load_spec(spec.exercise).signals)))
    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / f"{spec.name}.mp4"
    frames: list[dict[str, Any]] = []
    with VideoWriter(video, spec.width, spec.height, spec.fps) as writer:
        for i in range(n):
            t = i / spec.fps
            params = tl.at(t)
            params["_t"] = t
            body = script.pose_at(params)
            writer.write(draw(bg, cam, body), t)
            pf = true_pose_frame(body, cam, t)
            frames.append(
                {
                    "t_s": round(t, 4),
                    "xy_px": np.round(pf.xy_px, 1).tolist(),
                    "world_xyz_m": np.round(pf.world_xyz_m, 3).tolist(),
                    "signals": truth_signals(pf, seen_view(spec.view), names),
                }
            )
    truth = {
        "truth_version": TRUTH_VERSION,
        "exercise": spec.exercise,
        "clip": video.name,
        "seed": spec.seed,
        "view": spec.view,
        "fault": spec.fault,
        "magnitude": spec.magnitude,
        "fps": spec.fps,
        "duration_s": round((n - 1) / spec.fps, 4),
        "camera": cam.to_json(),
        "landmark_names": list(LANDMARK_NAMES),
        "reps": [iv.to_json() for iv in tl.intervals if iv.kind == "rep"],
        "holds": [iv.to_json() for iv in tl.intervals if iv.kind == "hold"],
        "faults": [iv.to_json() for iv in tl.intervals if iv.kind == "fault"],
        "frames": frames,
    }
    truth_path = out_dir / f"{spec.name}{TRUTH_SUFFIX}"
    truth_path.write_text(json.dumps(truth, separators=(",", ":")) + "\n", encoding="utf-8")
    return video, truth_path


def load_truth(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("truth_version") != TRUTH_VERSION:
        raise ValueError(f"{path}: truth_version {data.get('truth_version')} != {TRUTH_VERSION}")
    return data


def truth_frame(data: dict[str, Any], i: int) -> PoseFrame:
    f = data["frames"][i]
    cam = data["camera"]
    return PoseFrame(
        float(f["t_s"]),
        np.array(f["xy_px"], float),
        np.array(f["world_xyz_m"], float),
        np.ones(len(INDEX)),
        (int(cam["width"]), int(cam["height"])),
    )
