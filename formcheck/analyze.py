"""Offline analysis of a clip: frames -> pose backend -> engine -> result.

This is the glue the CLI, the review page and the tests share. Video decoding and the model are
passed in (or opened here from paths), so the same loop runs on a live model or on replayed
landmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from formcheck.engine.session import ExerciseSession, FrameState, SessionResult
from formcheck.landmarks import LandmarkSeries, PoseFrame
from formcheck.pose.backend import PoseBackend
from formcheck.prefetch import prefetch
from formcheck.specs.schema import ExerciseSpec, SideChoice

Frames = Iterable[tuple[float, npt.NDArray[np.uint8]]]
Progress = Callable[[float], None]  # seconds of video processed


@dataclass
class Analysis:
    result: SessionResult
    states: list[FrameState]
    series: LandmarkSeries
    processing_s: float


def run_frames(
    spec: ExerciseSpec,
    frames: Frames,
    backend: PoseBackend,
    side: SideChoice = "auto",
    progress: Progress | None = None,
    source: str = "",
) -> Analysis:
    """Run the pose backend and the engine over decoded frames.

    The frames are fetched (for a video: decoded) on a second thread a few frames ahead, so
    decoding overlaps with the model instead of adding to its time.
    """
    session = ExerciseSession(spec, side=side)
    states: list[FrameState] = []
    times: list[float] = []
    poses: list[PoseFrame | None] = []
    image_wh = (0, 0)
    started = time.perf_counter()
    for t_s, rgb in prefetch(frames):
        image_wh = (rgb.shape[1], rgb.shape[0])
        pose = backend.detect(rgb, t_s)
        states.append(session.update(t_s, pose))
        times.append(t_s)
        poses.append(pose)
        if progress:
            progress(t_s)
    elapsed = time.perf_counter() - started
    series = LandmarkSeries.from_frames(times, poses, image_wh, source)
    return Analysis(session.finish(), states, series, elapsed)


def replay_series(
    spec: ExerciseSpec, series: LandmarkSeries, side: SideChoice = "auto"
) -> Analysis:
    """Run the engine over saved landmarks, without video or model."""
    session = ExerciseSession(spec, side=side)
    started = time.perf_counter()
    states = [session.update(float(series.t_s[i]), series.frame(i)) for i in range(len(series))]
    return Analysis(session.finish(), states, series, time.perf_counter() - started)


def needs_back_curve(spec: ExerciseSpec) -> bool:
    """Does the exercise read the back's outline (the pose model's segmentation mask)? Asking
    for the mask costs about 2 ms a frame, so only the exercises that use it pay for it."""
    return any(name.startswith("back_") for name in spec.signals)


def source_name(path: Path) -> str:
    return path.name
