"""Opening what formcheck analyses: a video file, or landmarks saved from one (``.npz``).

The CLI (``analyze``, ``program``, ``bench``), the Review page and the tests all start here, so a
recording is checked, described and turned into poses in one way. A video goes through the pose
model; saved landmarks are replayed as they were recorded, with no model. This module is an edge
(it reaches PyAV and MediaPipe), imported lazily by its callers.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from formcheck.analyze import Analysis, Progress, needs_back_curve, replay_series, run_frames
from formcheck.landmarks import LandmarkSeries, PoseFrame
from formcheck.specs.schema import ExerciseSpec, SideChoice

if TYPE_CHECKING:
    from formcheck.video import VideoInfo

LANDMARKS_SUFFIX = ".npz"
# The longest video analysed: an hour at 30 frames a second. The analysis keeps every frame's
# landmarks and state (about 4 KB a frame measured), so this bounds it near 0.4 GB beside the
# model; a longer recording is refused with a message, not run out of memory.
MAX_VIDEO_FRAMES = 108_000
# What the result names as the model of a replayed recording.
REPLAY_MODEL = "replay"


T = TypeVar("T")


class RecordingError(Exception):
    """The recording cannot be read; the message names the file and says why, in one line."""


@dataclass(frozen=True)
class Recording:
    """A recording that opened: its path, how long it is, and what it holds."""

    path: Path
    duration_s: float
    # Saved landmarks, or None for a video (decoded only when analysed).
    series: LandmarkSeries | None
    # The video's stream as probed (size, rate, rotation), or None for saved landmarks.
    video: VideoInfo | None = None

    @property
    def is_landmarks(self) -> bool:
        return self.series is not None


def open_recording(path: Path) -> Recording:
    """Check ``path`` and describe it, before any model work.

    Raises:
        RecordingError: A missing file, a folder, a file that is not a video, or a landmark file
            whose arrays are out of shape or range.
    """
    _refuse_special_file(path)
    if path.suffix.lower() == LANDMARKS_SUFFIX:
        try:
            series = LandmarkSeries.load(path)
        except ValueError as exc:
            raise RecordingError(str(exc)) from None
        return Recording(path, float(series.t_s[-1]) if len(series) else 0.0, series)
    from formcheck.video import VideoError, probe

    try:
        info = probe(path)
    except VideoError as exc:
        raise RecordingError(str(exc)) from None
    declared = max(info.frame_count, round(info.duration_s * info.fps))
    if declared > MAX_VIDEO_FRAMES:
        raise RecordingError(_too_long(path))
    return Recording(path, info.duration_s, None, info)


# File types that are not a recording: reading one blocks until a writer comes (a FIFO, a socket)
# or never ends (a terminal, /dev/zero, a disk).
_SPECIAL_FILES = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _refuse_special_file(path: Path) -> None:
    """Refuse a pipe, a socket or a device before anything opens it (which could wait for ever).

    Only :func:`os.stat` is called, which never opens the file; a missing file or a folder is
    left to the reader, which names it.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    kind = _SPECIAL_FILES.get(stat.S_IFMT(mode))
    if kind is not None:
        raise RecordingError(f"{path} is {kind}, not a recording: give a video or .npz file")


def _too_long(path: Path) -> str:
    return (
        f"{path} is longer than formcheck analyses at once ({MAX_VIDEO_FRAMES} frames, an hour "
        "at 30 fps): cut it into shorter clips"
    )


def _bounded(path: Path, frames: Iterable[T]) -> Iterator[T]:
    """``frames``, refusing the recording once it runs past ``MAX_VIDEO_FRAMES`` (a header that
    understated its length)."""
    for count, frame in enumerate(frames, start=1):
        if count > MAX_VIDEO_FRAMES:
            raise RecordingError(_too_long(path))
        yield frame


def poses(
    recording: Recording, model_path: Path | None
) -> Iterator[tuple[float, PoseFrame | None]]:
    """``(t_s, pose)`` for every frame: replayed, or from the pose model (back outline included).

    Raises:
        RecordingError: The video cannot be decoded part-way.
        ModelInstallError: The model cannot be loaded.
    """
    if recording.series is not None:
        series = recording.series
        for i in range(len(series)):
            yield float(series.t_s[i]), series.frame(i)
        return
    if model_path is None:
        raise ValueError("a video needs the pose model")
    from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
    from formcheck.video import VideoError, iter_frames

    try:
        with MediaPipePoseBackend(model_path) as backend:
            for t_s, rgb in _bounded(recording.path, iter_frames(recording.path)):
                yield t_s, backend.detect(rgb, t_s)
    except VideoError as exc:
        raise RecordingError(str(exc)) from None


@dataclass(frozen=True)
class RecordingAnalysis:
    analysis: Analysis
    duration_s: float  # the recording's length, or the last frame's time if that is later
    model_name: str  # the model's file name, or REPLAY_MODEL


def analyze_recording(
    spec: ExerciseSpec,
    recording: Recording,
    model_path: Path | None,
    side: SideChoice = "auto",
    progress: Progress | None = None,
    source: str | None = None,
) -> RecordingAnalysis:
    """Run the engine over a recording: replayed landmarks, or a fresh pose model per video (VIDEO
    mode tracks from frame to frame and needs each clip's own timestamps from zero).

    Raises:
        RecordingError: The video cannot be decoded, or holds no frames.
        ModelInstallError: The model cannot be loaded.
        ValueError: A video without ``model_path``.
    """
    name = source or recording.path.name
    if recording.series is not None:
        analysis = replay_series(spec, recording.series, side=side)
        return RecordingAnalysis(analysis, recording.duration_s, REPLAY_MODEL)
    if model_path is None:
        raise ValueError("a video needs the pose model")
    from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
    from formcheck.video import VideoError, iter_frames

    try:
        with MediaPipePoseBackend(model_path, back_curve=needs_back_curve(spec)) as backend:
            frames = _bounded(recording.path, iter_frames(recording.path))
            analysis = run_frames(spec, frames, backend, side, progress, source=name)
    except VideoError as exc:
        raise RecordingError(str(exc)) from None
    if not analysis.states:
        raise RecordingError(f"{name} contains no decodable video frames (empty or truncated)")
    duration = max(recording.duration_s, analysis.states[-1].t_s)
    return RecordingAnalysis(analysis, duration, model_path.name)
