"""Opening what formcheck analyses: a video file, or landmarks saved from one (``.npz``).

The CLI (``analyze``, ``program``, ``bench``), the Review page and the tests all start here, so a
recording is checked, described and turned into poses in one way. A video goes through the pose
model; saved landmarks are replayed as they were recorded, with no model. This module is an edge
(it reaches PyAV and MediaPipe), imported lazily by its callers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.analyze import Analysis, Progress, needs_back_curve, replay_series, run_frames
from formcheck.landmarks import LandmarkSeries, PoseFrame
from formcheck.specs.schema import ExerciseSpec, SideChoice

if TYPE_CHECKING:
    from formcheck.video import VideoInfo

LANDMARKS_SUFFIX = ".npz"
# What the result names as the model of a replayed recording.
REPLAY_MODEL = "replay"


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
    return Recording(path, info.duration_s, None, info)


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
            for t_s, rgb in iter_frames(recording.path):
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
            analysis = run_frames(
                spec, iter_frames(recording.path), backend, side, progress, source=name
            )
    except VideoError as exc:
        raise RecordingError(str(exc)) from None
    if not analysis.states:
        raise RecordingError(f"{name} contains no decodable video frames (empty or truncated)")
    duration = max(recording.duration_s, analysis.states[-1].t_s)
    return RecordingAnalysis(analysis, duration, model_path.name)
