"""Body landmarks by name, one typed container per frame and per clip.

The pose backend hands over 33 BlazePose landmarks per frame. Everything after the backend refers to
them by name (``"left_knee"``), never by bare index, and resolves left/right through ``MIRROR`` so a
spec can say ``"far knee"`` or ``"working hip"`` without caring which way the person faces.

Coordinates:
- ``xy_px``: image position in pixels of the upright frame (x right, y down).
- ``world_xyz_m``: the model's metric 3D estimate, origin between the hips (x right, y down,
  z smaller toward the camera), roughly view independent.
- ``visibility``: the model's 0..1 confidence that the point is visible.

Besides the landmarks a frame may carry ``extras``: named per-frame scalars the backend measured
from the image itself (e.g. ``back_bow`` from the segmentation mask, ``signals/back_curve.py``).
NaN means "not measurable in this frame"; a name missing means "not measured at all".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
NUM_LANDMARKS = len(LANDMARK_NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}


def _mirror_name(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name[len("left_") :]
    if name.startswith("right_"):
        return "left_" + name[len("right_") :]
    if name.endswith("_left"):
        return name[: -len("_left")] + "_right"
    if name.endswith("_right"):
        return name[: -len("_right")] + "_left"
    return name


# Name -> the same point on the other side of the body ("nose" maps to itself).
MIRROR: dict[str, str] = {name: _mirror_name(name) for name in LANDMARK_NAMES}
MIRROR_INDEX: tuple[int, ...] = tuple(INDEX[MIRROR[name]] for name in LANDMARK_NAMES)

# Bones drawn in the overlay, as name pairs.
SKELETON: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    *(
        (f"{s}_{a}", f"{s}_{b}")
        for s in ("left", "right")
        for a, b in (
            ("shoulder", "elbow"),
            ("elbow", "wrist"),
            ("shoulder", "hip"),
            ("hip", "knee"),
            ("knee", "ankle"),
            ("ankle", "heel"),
            ("heel", "foot_index"),
            ("ankle", "foot_index"),
            ("ear", "shoulder"),
        )
    ),
)


def side_name(side: str, part: str) -> str:
    """``side_name("left", "knee") -> "left_knee"``; ``side`` is ``"left"`` or ``"right"``."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return f"{side}_{part}"


def other_side(side: str) -> str:
    """The opposite of ``"left"`` / ``"right"``."""
    return {"left": "right", "right": "left"}[side]


@dataclass(frozen=True)
class PoseFrame:
    """One person's landmarks at one instant.

    Attributes:
        t_s: Frame timestamp in seconds, from the video or the WebRTC frame.
        xy_px: (33, 2) image positions in pixels.
        world_xyz_m: (33, 3) metric world positions, hip-centred.
        visibility: (33,) confidence that each landmark is visible, 0..1.
        image_wh: (width, height) of the frame the landmarks were found in.
        extras: Named per-frame scalars measured from the image (NaN: not measurable here).
    """

    t_s: float
    xy_px: FloatArray
    world_xyz_m: FloatArray
    visibility: FloatArray
    image_wh: tuple[int, int]
    extras: Mapping[str, float] = field(default_factory=lambda: _NO_EXTRAS)

    def xy(self, name: str) -> FloatArray:
        return self.xy_px[INDEX[name]]

    def world(self, name: str) -> FloatArray:
        return self.world_xyz_m[INDEX[name]]

    def vis(self, name: str) -> float:
        return float(self.visibility[INDEX[name]])

    def mirrored(self) -> PoseFrame:
        """The same frame with left and right landmark labels swapped (not the image flipped)."""
        idx = list(MIRROR_INDEX)
        return PoseFrame(
            self.t_s,
            self.xy_px[idx],
            self.world_xyz_m[idx],
            self.visibility[idx],
            self.image_wh,
            self.extras,  # per-frame scalars of the whole body: no left/right to swap
        )


# The shared empty default of ``PoseFrame.extras`` (read-only, so one instance is safe to share).
_NO_EXTRAS: Mapping[str, float] = MappingProxyType({})


@dataclass
class LandmarkSeries:
    """Landmarks of a whole clip, one row per decoded frame; frames without a pose are NaN.

    Saved as ``.npz`` so a clip can be re-analysed without the pose model (tests, changed specs).
    ``extras`` holds one (T,) array per per-frame scalar name (``PoseFrame.extras``), NaN in
    frames without it. Format version 2 added the extras; version 1 files load with none.
    """

    t_s: FloatArray  # (T,)
    xy_px: FloatArray  # (T, 33, 2)
    world_xyz_m: FloatArray  # (T, 33, 3)
    visibility: FloatArray  # (T, 33)
    image_wh: tuple[int, int]
    source: str = ""
    extras: dict[str, FloatArray] = field(default_factory=dict)  # name -> (T,)

    FORMAT_VERSION = 2
    READABLE_VERSIONS = (1, 2)

    def __post_init__(self) -> None:
        n = len(self)
        for name, values in self.extras.items():
            if np.shape(values) != (n,):
                raise ValueError(
                    f"extras[{name!r}] must have shape ({n},) like t_s, got {np.shape(values)}"
                )

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def has_pose(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.xy_px[:, 0, 0])

    def frame(self, i: int) -> PoseFrame | None:
        if np.isnan(self.xy_px[i, 0, 0]):
            return None
        return PoseFrame(
            float(self.t_s[i]),
            self.xy_px[i],
            self.world_xyz_m[i],
            self.visibility[i],
            self.image_wh,
            {name: float(values[i]) for name, values in self.extras.items()},
        )

    @classmethod
    def from_frames(
        cls,
        t_s: list[float],
        frames: list[PoseFrame | None],
        image_wh: tuple[int, int],
        source: str = "",
    ) -> LandmarkSeries:
        n = len(t_s)
        xy = np.full((n, NUM_LANDMARKS, 2), np.nan)
        world = np.full((n, NUM_LANDMARKS, 3), np.nan)
        vis = np.zeros((n, NUM_LANDMARKS))
        extras: dict[str, FloatArray] = {}
        for i, f in enumerate(frames):
            if f is not None:
                xy[i], world[i], vis[i] = f.xy_px, f.world_xyz_m, f.visibility
                for name, value in f.extras.items():
                    if name not in extras:
                        extras[name] = np.full(n, np.nan)
                    extras[name][i] = value
        return cls(np.asarray(t_s, dtype=float), xy, world, vis, image_wh, source, extras)

    def save(self, path: Path) -> None:
        names = sorted(self.extras)
        np.savez_compressed(
            path,
            format_version=np.array(self.FORMAT_VERSION),
            t_s=self.t_s,
            xy_px=self.xy_px,
            world_xyz_m=self.world_xyz_m,
            visibility=self.visibility,
            image_wh=np.array(self.image_wh),
            landmark_names=np.array(LANDMARK_NAMES),
            source=np.array(self.source),
            extra_names=np.array(names, dtype=str),
            extra_values=np.array([self.extras[k] for k in names], dtype=float).reshape(
                len(names), len(self)
            ),
        )

    @classmethod
    def load(cls, path: Path) -> LandmarkSeries:
        """Load a file written by :meth:`save` (this or an older format version).

        Raises:
            ValueError: The file is not a landmark file, or of a version this code cannot read.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                version = int(data["format_version"])
                names = tuple(str(n) for n in data["landmark_names"])
                if version not in cls.READABLE_VERSIONS or names != LANDMARK_NAMES:
                    raise _UnsupportedVersionError(version)
                extras: dict[str, FloatArray] = {}
                if version >= 2:
                    values = data["extra_values"].astype(float)
                    extras = {str(k): values[j] for j, k in enumerate(data["extra_names"])}
                return cls(
                    data["t_s"].astype(float),
                    data["xy_px"].astype(float),
                    data["world_xyz_m"].astype(float),
                    data["visibility"].astype(float),
                    (int(data["image_wh"][0]), int(data["image_wh"][1])),
                    str(data["source"]),
                    extras,
                )
        except _UnsupportedVersionError as exc:
            raise ValueError(
                f"{path}: unsupported landmark file version {exc.version} "
                f"(readable: {', '.join(map(str, cls.READABLE_VERSIONS))})"
            ) from None
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path} is not a formcheck landmark file ({exc})") from None


class _UnsupportedVersionError(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version
