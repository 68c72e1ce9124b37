"""A pinhole camera in the synthetic world (z up, metres) and where to put it for each view."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Vec = npt.NDArray[np.float64]

# Horizontal field of view of the rendered cameras (a laptop webcam's is about 60-70 deg).
HFOV_DEG = 60.0


@dataclass(frozen=True)
class Camera:
    """A level-ish pinhole camera looking at ``target`` from ``position``.

    Camera axes: x right, y down (image), z along the optical axis (depth grows away from it).
    """

    position: tuple[float, float, float]
    target: tuple[float, float, float]
    width: int
    height: int
    hfov_deg: float = HFOV_DEG

    @property
    def focal_px(self) -> float:
        return (self.width / 2) / math.tan(math.radians(self.hfov_deg) / 2)

    @property
    def rotation(self) -> Vec:
        """Rows: the camera's x, y, z axes in world coordinates."""
        pos, tgt = np.array(self.position), np.array(self.target)
        z = tgt - pos
        z = z / np.linalg.norm(z)
        x = np.cross(z, np.array([0.0, 0.0, 1.0]))
        x = x / np.linalg.norm(x)
        y = np.cross(z, x)
        return np.vstack([x, y, z])

    def to_camera(self, points: Vec) -> Vec:
        """World points (N, 3) in camera coordinates (N, 3)."""
        return np.asarray((points - np.array(self.position)) @ self.rotation.T)

    def project(self, points: Vec) -> tuple[Vec, Vec]:
        """World points (N, 3) -> pixel positions (N, 2) and depths (N,)."""
        pc = self.to_camera(points)
        depth = pc[:, 2]
        f = self.focal_px
        safe = np.maximum(depth, 1e-6)
        xy = np.column_stack(
            [self.width / 2 + f * pc[:, 0] / safe, self.height / 2 + f * pc[:, 1] / safe]
        )
        return xy, depth

    def to_json(self) -> dict[str, Any]:
        f = self.focal_px
        return {
            "position_m": [round(v, 4) for v in self.position],
            "target_m": [round(v, 4) for v in self.target],
            "width": self.width,
            "height": self.height,
            "hfov_deg": self.hfov_deg,
            "intrinsics": {
                "fx": round(f, 3),
                "fy": round(f, 3),
                "cx": self.width / 2,
                "cy": self.height / 2,
            },
            "world_to_camera_rotation": [
                [round(float(v), 6) for v in row] for row in self.rotation
            ],
            "world_axes": "x, y horizontal, z up, metres; floor at z = 0",
        }


def view_direction(view: str, forward: Vec, left: Vec, near_side: str) -> Vec:
    """Horizontal unit vector from the subject toward the camera for ``view``.

    ``forward``/``left`` are the body's directions; ``near_side`` is the side the camera sees in
    the side and diagonal views.
    """
    lat = left if near_side == "left" else -left
    if view == "front":
        d = forward
    elif view == "side":
        d = lat
    elif view == "diagonal":
        d = forward + lat
    else:
        raise ValueError(f"view must be side, front or diagonal, got {view!r}")
    d = np.array([d[0], d[1], 0.0])
    return np.asarray(d / np.linalg.norm(d))


def place_camera(
    view: str,
    forward: Vec,
    left: Vec,
    near_side: str,
    look_at: Vec,
    distance_m: float,
    height_m: float,
    width: int,
    height: int,
    hfov_deg: float = HFOV_DEG,
) -> Camera:
    d = view_direction(view, forward, left, near_side)
    pos = np.array(look_at, dtype=float) + d * distance_m
    pos[2] = height_m
    return Camera(
        tuple(float(v) for v in pos),  # type: ignore[arg-type]
        tuple(float(v) for v in look_at),  # type: ignore[arg-type]
        width,
        height,
        hfov_deg,
    )
