"""Offline analysis: timed poses from any source (:mod:`formcheck.source.poses`) -> engine.

This is the glue the CLI, the Review page, the batch workers and the tests share: the same loop
runs on a video through the pose model, on camera frames, or on replayed landmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formcheck.engine.session import ExerciseSession, FrameState, SessionResult
from formcheck.landmarks import LandmarkSeries
from formcheck.source.poses import PoseStream, recording_poses, replay_poses
from formcheck.source.recording import REPLAY_MODEL, Recording, RecordingError
from formcheck.specs.schema import ExerciseSpec
from formcheck.types import SideChoice

Progress = Callable[[float], None]  # seconds of video processed


@dataclass
class Analysis:
    """The engine's result over a whole source, with every frame's state and the landmarks."""

    result: SessionResult
    states: list[FrameState]
    series: LandmarkSeries
    processing_s: float


def run_poses(
    spec: ExerciseSpec,
    poses: PoseStream,
    side: SideChoice = "auto",
    progress: Progress | None = None,
) -> Analysis:
    """Run the engine over every timed pose of ``poses`` (closed at the end)."""
    session = ExerciseSession(spec, side=side)
    states: list[FrameState] = []
    started = time.perf_counter()
    with poses:
        for t_s, pose in poses:
            states.append(session.update(t_s, pose))
            if progress:
                progress(t_s)
    elapsed = time.perf_counter() - started
    return Analysis(session.finish(), states, poses.series(), elapsed)


def replay_series(
    spec: ExerciseSpec, series: LandmarkSeries, side: SideChoice = "auto"
) -> Analysis:
    """Run the engine over saved landmarks, without video or model."""
    return run_poses(spec, replay_poses(series), side)


def needs_back_curve(spec: ExerciseSpec) -> bool:
    """Does the exercise read the back's outline (the pose model's segmentation mask)? Asking
    for the mask costs about 2 ms a frame, so only the exercises that use it pay for it."""
    return any(name.startswith("back_") for name in spec.signals)


@dataclass(frozen=True)
class RecordingAnalysis:
    """An analysed recording: the analysis, its length and the model that found the poses."""

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
    model_buffer: bytes | None = None,
) -> RecordingAnalysis:
    """Run the engine over a recording: replayed landmarks, or a fresh pose model per video (VIDEO
    mode tracks from frame to frame and needs each clip's own timestamps from zero), built from
    ``model_buffer`` when the caller holds the bundle's bytes (a batch worker).

    Raises:
        RecordingError: The video cannot be decoded, or holds no frames.
        ModelInstallError: The model cannot be loaded.
        ValueError: A video without ``model_path``.
    """
    name = source or recording.path.name
    if recording.series is not None:
        analysis = run_poses(spec, replay_poses(recording.series), side)
        return RecordingAnalysis(analysis, recording.duration_s, REPLAY_MODEL)
    if model_path is None:
        raise ValueError("a video needs the pose model")
    back_curve = needs_back_curve(spec)
    poses = recording_poses(recording, model_path, back_curve, name, model_buffer)
    analysis = run_poses(spec, poses, side, progress)
    if not analysis.states:
        raise RecordingError(f"{name} contains no decodable video frames (empty or truncated)")
    duration = max(recording.duration_s, analysis.states[-1].t_s)
    return RecordingAnalysis(analysis, duration, model_path.name)
