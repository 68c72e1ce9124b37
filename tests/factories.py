"""Test data factories: synthetic people with known joint angles, signals over time, and a
labelled clip's score."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from formcheck.corpus.score import ClipScore
from formcheck.landmarks import INDEX, NUM_LANDMARKS, PoseFrame

THIGH_M = 0.45
SHIN_M = 0.43
TORSO_M = 0.50
PX_PER_M = 300.0


def side_view_squat_frame(
    t_s: float,
    knee_flexion_deg: float,
    trunk_lean_deg: float | None = None,
    facing: str = "right",
    near: str = "left",
    visibility: float = 0.95,
) -> PoseFrame:
    """A person seen exactly side-on, squatting with the given knee flexion.

    The shin leans forward by half the knee flexion and the thigh back by the other half, so the
    hip sinks straight over the ankle. The trunk leans forward by ``trunk_lean_deg`` (default: as
    much as the thigh). ``facing`` is the way the nose points on screen; ``near`` is the side of
    the body toward the camera.
    """
    sign = 1.0 if facing == "right" else -1.0
    half = math.radians(knee_flexion_deg / 2)
    lean = math.radians(trunk_lean_deg if trunk_lean_deg is not None else knee_flexion_deg / 2)
    ankle = np.array([0.0, 0.0])
    knee = ankle + SHIN_M * np.array([sign * math.sin(half), math.cos(half)])
    hip = knee + THIGH_M * np.array([-sign * math.sin(half), math.cos(half)])
    shoulder = hip + TORSO_M * np.array([sign * math.sin(lean), math.cos(lean)])
    ear = shoulder + 0.18 * np.array([sign * math.sin(lean), math.cos(lean)])

    # (x forward-up metres) -> image pixels (y down), feet at y=900.
    def img(p: np.ndarray) -> np.ndarray:
        return np.array([400 + p[0] * PX_PER_M, 900 - p[1] * PX_PER_M])

    xy = np.zeros((NUM_LANDMARKS, 2))
    world = np.zeros((NUM_LANDMARKS, 3))
    vis = np.full(NUM_LANDMARKS, visibility)
    parts = {"ankle": ankle, "knee": knee, "hip": hip, "shoulder": shoulder, "ear": ear}
    parts |= {
        "heel": ankle + np.array([-sign * 0.05, 0.0]),
        "foot_index": ankle + np.array([sign * 0.15, 0.0]),
        "elbow": shoulder + np.array([sign * 0.2, -0.2]),
        "wrist": shoulder + np.array([sign * 0.4, -0.2]),
    }
    hip_mid = hip
    for part, p in parts.items():
        for side in ("left", "right"):
            i = INDEX[f"{side}_{part}"]
            xy[i] = img(p)
            depth = -0.1 if side == near else 0.1  # nearer the camera is smaller z
            world[i] = [p[0] - hip_mid[0], -(p[1] - hip_mid[1]), depth]
    for name in ("nose", "left_eye", "right_eye", "mouth_left", "mouth_right"):
        xy[INDEX[name]] = img(ear + np.array([sign * 0.1, 0.0]))
        world[INDEX[name]] = [*(ear + np.array([sign * 0.1, 0.0]) - hip_mid) * [1, -1], 0.0]
    return PoseFrame(t_s, xy, world, vis, (800, 1000))


def edited_yaml_copy(source: Path, folder: Path, edit: Callable[[Any], None]) -> Path:
    """A copy of a YAML file in ``folder`` (same name), changed by ``edit`` on its data."""
    data = yaml.safe_load(source.read_text())
    edit(data)
    path = folder / source.name
    path.write_text(yaml.safe_dump(data))
    return path


def piecewise_wave(
    segments: list[tuple[float, float]], fps: float = 30.0
) -> list[tuple[float, float]]:
    """Piecewise-linear signal: [(duration_s, value_at_end), ...] starting at the first value."""
    out: list[tuple[float, float]] = []
    t, v = 0.0, segments[0][1]
    for duration, target in segments:
        n = max(1, round(duration * fps))
        for k in range(1, n + 1):
            out.append((t + k / fps, v + (target - v) * k / n))
        t += n / fps
        v = target
    return out


def clip_score(file: str, spec: str = "box_squat", **kw: object) -> ClipScore:
    """One labelled clip's score: a clean, fully judged side-on clip unless ``kw`` says more."""
    base: dict[str, object] = {
        "file": file,
        "spec": spec,
        "label_view": "side",
        "view": "side",
        "reps_expected": None,
        "reps_found": None,
        "hold_expected_s": None,
        "hold_found_s": None,
        "faults": {},
        "fault_expected": {},
        "reported_faults": [],
        "rules_not_checked": {},
        "cannot_judge_share": 0.0,
        "whole_body_visible": True,
        "calm": True,
        "too_fast_reps": 0,
    }
    base.update(kw)
    return ClipScore(**base)  # type: ignore[arg-type]
