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

import math
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from formcheck.types import Side, WorkingSide

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

SIDES: tuple[Side, Side] = ("left", "right")
# A working side -> the other one: left and right swap, "both" and "none" stay.
MIRROR_SIDE: dict[WorkingSide, WorkingSide] = {
    "left": "right",
    "right": "left",
    "both": "both",
    "none": "none",
}


def side_name(side: Side, part: str) -> str:
    """The name of ``part`` on one side of the body: ``side_name("left", "knee")`` is
    ``"left_knee"``. Every left/right landmark name built from a side goes through here."""
    return f"{side}_{part}"


def other_side(side: WorkingSide) -> WorkingSide:
    """The working side in the mirror (:data:`MIRROR_SIDE`)."""
    return MIRROR_SIDE[side]


def sides_of(side: WorkingSide) -> tuple[Side, ...]:
    """The sides of the body a working side stands for: both of them for ``"both"``.

    Raises:
        ValueError: ``"none"``, which stands for no side (only per-side measures ask).
    """
    if side == "both":
        return SIDES
    if side == "none":
        raise ValueError("a per-side measure needs a working side, got 'none'")
    return (side,)


def hip_centre(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Midpoint of the two hips of one frame's (33, 2) image landmarks."""
    return (xy[INDEX["left_hip"]] + xy[INDEX["right_hip"]]) / 2


def shoulder_centre(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Midpoint of the two shoulders of one frame's (33, 2) image landmarks."""
    return (xy[INDEX["left_shoulder"]] + xy[INDEX["right_shoulder"]]) / 2


def torso_length(xy: npt.NDArray[np.float64]) -> float:
    """Shoulder midpoint to hip midpoint in one frame's (33, 2) image landmarks, in pixels."""
    return float(np.linalg.norm(shoulder_centre(xy) - hip_centre(xy)))


def trunk_direction_deg(xy: npt.NDArray[np.float64]) -> float:
    """Direction of the hip-centre -> shoulder-centre line in the image, -180..180 deg (0 along
    +x, 90 along +y, i.e. down the image). NaN when the points are missing or coincide."""
    v = shoulder_centre(xy) - hip_centre(xy)
    if not (np.isfinite(v).all() and (v[0] != 0 or v[1] != 0)):
        return math.nan
    return math.degrees(math.atan2(float(v[1]), float(v[0])))


# Bones drawn in the overlay, as name pairs.
SKELETON: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    *(
        (side_name(s, a), side_name(s, b))
        for s in SIDES
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
        """Image position of landmark ``name``, in pixels."""
        return self.xy_px[INDEX[name]]

    def world(self, name: str) -> FloatArray:
        """3D world position of landmark ``name``, in metres."""
        return self.world_xyz_m[INDEX[name]]

    def vis(self, name: str) -> float:
        """Visibility of landmark ``name``, 0..1."""
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


# Bounds of a landmark file. An hour at 60 frames/s is far more than any exercise recording:
# its arrays take about 350 MB as float64, and `formcheck analyze` replayed a file of 215,904 real
# frames (178 MB) with a peak of 619 MB, inside the 1 GiB budget. `save` writes about 0.8 KB a
# frame, an uncompressed np.savez about 1.6 KB.
MAX_LANDMARK_FRAMES = 60 * 60 * 60
MAX_LANDMARK_FILE_BYTES = 400 * 2**20
# Pixels a side of the frame the landmarks were found in; video.py refuses larger frames.
MAX_IMAGE_SIDE_PX = 8192
# The largest time (s) or coordinate (px, m) a landmark file may hold: a million seconds is 11
# days, a million pixels 100 times the widest frame accepted. Larger finite values (1e300) are a
# damaged or hand-made file; arithmetic on them overflows to infinity part-way through.
MAX_LANDMARK_MAGNITUDE = 1e6
# Per-frame scalars (``extras``): the backend writes 4.
MAX_EXTRAS = 64
MAX_NAME_CHARS = 64  # a landmark or extra's name
MAX_SOURCE_CHARS = 4096  # the clip's file name

# Each array of the file: the dtype kinds accepted (numpy's ``dtype.kind``) and the shape, with
# "T" for the number of frames (the length of ``t_s``) and "K" for the number of extras.
_NUMBER = "fiu"
_MEMBERS: dict[str, tuple[str, tuple[int | str, ...]]] = {
    "format_version": ("iu", ()),
    "landmark_names": ("U", (NUM_LANDMARKS,)),
    "source": ("U", ()),
    "t_s": (_NUMBER, ("T",)),
    "xy_px": (_NUMBER, ("T", NUM_LANDMARKS, 2)),
    "world_xyz_m": (_NUMBER, ("T", NUM_LANDMARKS, 3)),
    "visibility": (_NUMBER, ("T", NUM_LANDMARKS)),
    "image_wh": ("iu", (2,)),
}
_MEMBERS_V2: dict[str, tuple[str, tuple[int | str, ...]]] = {
    "extra_names": ("U", ("K",)),
    "extra_values": (_NUMBER, ("K", "T")),
}
_MAX_CHARS = {"landmark_names": MAX_NAME_CHARS, "extra_names": MAX_NAME_CHARS}
_KIND_WORDS = {"iu": "integers", _NUMBER: "numbers", "U": "text"}


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

    def frame(self, i: int) -> PoseFrame | None:
        """Frame ``i`` as a :class:`PoseFrame`; None when no pose was found in it."""
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
        """A series from one pose per frame (None where none was found), all found in images of
        ``image_wh``."""
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

    def every(self, step: int) -> LandmarkSeries:
        """Every ``step``-th frame, from the first: the clip as a camera giving 1/``step`` of
        its frame rate would have delivered it to the engine. The landmarks themselves stay
        those the tracker found seeing every frame, so this checks the engine's timing, not the
        model's tracking at the lower rate."""
        if step < 1:
            raise ValueError(f"the frame step must be 1 or more, got {step}")
        return replace(
            self,
            t_s=self.t_s[::step],
            xy_px=self.xy_px[::step],
            world_xyz_m=self.world_xyz_m[::step],
            visibility=self.visibility[::step],
            extras={name: values[::step] for name, values in self.extras.items()},
        )

    def save(self, path: Path) -> None:
        """Write the series to ``path`` as a compressed ``.npz`` that :meth:`load` reads."""
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

        The file is checked within fixed bounds before its arrays are read (see
        ``MAX_LANDMARK_FILE_BYTES`` and ``MAX_LANDMARK_FRAMES``): every array's shape and type
        comes from its header, so a small file declaring gigabytes is refused unread. Then the
        values: timestamps finite and strictly increasing, no infinite coordinate, visibility
        within 0..1. NaN stays allowed: it is how a frame without a pose is stored.

        Raises:
            ValueError: The file is not a landmark file, is of a version this code cannot read,
                or breaks one of the bounds; the message is one sentence naming the file.
        """
        try:
            size = path.stat().st_size
            if size > MAX_LANDMARK_FILE_BYTES:
                raise _BadLandmarkFileError(
                    f"it is larger ({size} bytes) than the "
                    f"{MAX_LANDMARK_FILE_BYTES // 2**20} MB a landmark file may be"
                )
            version = _read_version(path)
            if version not in cls.READABLE_VERSIONS:
                raise _UnsupportedVersionError(version)
            _check_headers(path, version)
            with np.load(path, allow_pickle=False) as data:
                names = tuple(str(n) for n in data["landmark_names"])
                if names != LANDMARK_NAMES:
                    raise _BadLandmarkFileError("its landmark names are not the 33 of BlazePose")
                extras: dict[str, FloatArray] = {}
                if version >= 2:
                    values = np.asarray(data["extra_values"], dtype=np.float64)
                    extras = {str(k): values[j] for j, k in enumerate(data["extra_names"])}
                wh = data["image_wh"]
                series = cls(
                    np.asarray(data["t_s"], dtype=np.float64),
                    np.asarray(data["xy_px"], dtype=np.float64),
                    np.asarray(data["world_xyz_m"], dtype=np.float64),
                    np.asarray(data["visibility"], dtype=np.float64),
                    (int(wh[0]), int(wh[1])),
                    str(data["source"]),
                    extras,
                )
            _check_values(series)
            return series
        except _UnsupportedVersionError as exc:
            raise ValueError(
                f"{path}: unsupported landmark file version {exc.version} "
                f"(readable: {', '.join(map(str, cls.READABLE_VERSIONS))})"
            ) from None
        except _BadLandmarkFileError as exc:
            raise ValueError(f"{path} cannot be used as a landmark file: {exc}") from None
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path} is not a formcheck landmark file ({_reason(exc)})") from None
        except (NotImplementedError, RuntimeError, zlib.error) as exc:
            # zipfile's words for a compression method it lacks, an encrypted member, and
            # damaged compressed data.
            raise ValueError(f"{path} is not a formcheck landmark file ({_reason(exc)})") from None


class _BadLandmarkFileError(Exception):
    """A landmark file outside the bounds; the message says which, without the file name."""


def _read_header(zf: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Shape and dtype of the array ``name`` in the .npz, from its .npy header alone."""
    try:
        info = zf.getinfo(f"{name}.npy")  # the member np.load would read
    except KeyError:
        raise _BadLandmarkFileError(f"it has no {name!r} array") from None
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise _BadLandmarkFileError(f"its {name!r} array is in .npy format {version}")
    return tuple(shape), dtype


def _read_version(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        shape, dtype = _read_header(zf, "format_version")
        if shape != () or dtype.kind not in "iu":
            raise _BadLandmarkFileError("its format_version is not a single integer")
    with np.load(path, allow_pickle=False) as data:
        return int(data["format_version"])


def _check_headers(path: Path, version: int) -> None:
    """Every array's dtype and shape as the format says, the frame count within bounds."""
    members = _MEMBERS | (_MEMBERS_V2 if version >= 2 else {})
    with zipfile.ZipFile(path) as zf:
        headers = {name: _read_header(zf, name) for name in members}
    t_shape = headers["t_s"][0]
    frames = t_shape[0] if len(t_shape) == 1 else -1
    if frames > MAX_LANDMARK_FRAMES:
        raise _BadLandmarkFileError(
            f"{frames} frames is more than the {MAX_LANDMARK_FRAMES} a landmark file may hold "
            "(an hour at 60 frames/s)"
        )
    extras = headers["extra_names"][0] if version >= 2 else (0,)
    sizes = {"T": frames, "K": extras[0] if len(extras) == 1 else -1}
    if sizes["K"] > MAX_EXTRAS:
        raise _BadLandmarkFileError(f"more than {MAX_EXTRAS} per-frame extras")
    for name, (kinds, dims) in members.items():
        shape, dtype = headers[name]
        expected = tuple(sizes[d] if isinstance(d, str) else d for d in dims)
        if shape != expected or -1 in expected:
            raise _BadLandmarkFileError(
                f"its {name} array has shape {shape}, not {_shape_text(dims, sizes)}"
            )
        if dtype.kind not in kinds:
            raise _BadLandmarkFileError(
                f"its {name} array holds {dtype} values, not {_KIND_WORDS[kinds]}"
            )
        max_chars = _MAX_CHARS.get(name, MAX_SOURCE_CHARS)
        if dtype.kind == "U" and dtype.itemsize // 4 > max_chars:
            raise _BadLandmarkFileError(f"its {name} text is longer than {max_chars} characters")
    if frames == 0:
        raise _BadLandmarkFileError("it holds no frames")


def _check_values(series: LandmarkSeries) -> None:
    """Finite, increasing timestamps; no infinite value; every time and coordinate within
    :data:`MAX_LANDMARK_MAGNITUDE`; visibility within 0..1; a real size."""
    t = series.t_s
    if not np.isfinite(t).all():
        raise _BadLandmarkFileError(f"timestamp {_first(~np.isfinite(t))} is not a finite number")
    if (np.abs(t) > MAX_LANDMARK_MAGNITUDE).any():
        i = _first(np.abs(t) > MAX_LANDMARK_MAGNITUDE)
        raise _BadLandmarkFileError(
            f"timestamp {i} ({t[i]:g} s) is beyond {MAX_LANDMARK_MAGNITUDE:g} in size"
        )
    steps = np.diff(t)
    if (steps <= 0).any():
        i = _first(steps <= 0) + 1
        raise _BadLandmarkFileError(
            f"its timestamps do not increase (frame {i} at {t[i]:g} s follows {t[i - 1]:g} s)"
        )
    arrays = {
        "xy_px": series.xy_px,
        "world_xyz_m": series.world_xyz_m,
        "visibility": series.visibility,
    } | {f"extras[{k!r}]": v for k, v in series.extras.items()}
    for name, values in arrays.items():
        if np.isinf(values).any():
            frame = _first(np.isinf(values).reshape(len(t), -1).any(axis=1))
            raise _BadLandmarkFileError(f"{name} is infinite in frame {frame}")
        with np.errstate(invalid="ignore"):
            huge = np.abs(values) > MAX_LANDMARK_MAGNITUDE  # NaN compares false: allowed
        if huge.any():
            frame = _first(huge.reshape(len(t), -1).any(axis=1))
            raise _BadLandmarkFileError(
                f"{name} is beyond {MAX_LANDMARK_MAGNITUDE:g} in size in frame {frame}"
            )
    vis = series.visibility
    outside = (vis < 0) | (vis > 1)  # NaN compares false: allowed
    if outside.any():
        frame = _first(outside.any(axis=1))
        raise _BadLandmarkFileError(f"visibility is outside 0..1 in frame {frame}")
    w, h = series.image_wh
    if not (0 < w <= MAX_IMAGE_SIDE_PX and 0 < h <= MAX_IMAGE_SIDE_PX):
        raise _BadLandmarkFileError(
            f"its image size {w}x{h} is not 1 to {MAX_IMAGE_SIDE_PX} pixels a side"
        )


def _shape_text(dims: tuple[int | str, ...], sizes: dict[str, int]) -> str:
    """``(T, 33, 2)`` with the sizes known so far filled in, and what the letters stand for."""
    parts = [str(sizes[d]) if isinstance(d, str) and sizes[d] >= 0 else str(d) for d in dims]
    text = f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"
    if "T" in dims:
        text += " (one row per timestamp in t_s)"
    if "K" in dims:
        text += " (one row per name in extra_names)"
    return text


def _reason(exc: BaseException) -> str:
    """A library's error message on one short line (numpy quotes whole .npy headers)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _first(mask: npt.ArrayLike) -> int:
    return int(np.flatnonzero(mask)[0])


class _UnsupportedVersionError(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version
