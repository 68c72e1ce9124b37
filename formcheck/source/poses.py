"""The one road from a source to timed poses: ``(t_s, pose)`` for every frame, in order.

A source is a video file, frames from a camera or any other iterable of ``(t_s, rgb)``, or
landmarks saved earlier (``.npz``). Frames go through a pose backend, fetched a few frames ahead
on a thread of their own (:mod:`formcheck.source.prefetch`) so decoding overlaps with the model;
saved landmarks are replayed as they were recorded, with no model. Whatever the source, the
stream remembers what it yielded and gives it back as a :class:`LandmarkSeries` (the file
``--save-landmarks`` writes and the landmark cache keeps).

No edge library (PyAV, MediaPipe) is imported here at module level: a replay needs neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import LandmarkSeries, PoseFrame
from formcheck.pose.backend import PoseBackend
from formcheck.source.prefetch import prefetch

if TYPE_CHECKING:
    from formcheck.source.recording import Recording

RgbImage = npt.NDArray[np.uint8]
Frames = Iterable[tuple[float, RgbImage]]
TimedPose = tuple[float, PoseFrame | None]


class PoseStream(Iterator[TimedPose]):
    """Timed poses of one source, read once; a context manager that releases the source.

    Attributes:
        name: The source's name, kept in the :class:`LandmarkSeries` it gives back.
    """

    name: str

    def series(self) -> LandmarkSeries:
        """The landmarks of every frame yielded so far."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop reading and release what the stream opened (the decoder, the model)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class ReplayStream(PoseStream):
    """Saved landmarks, frame by frame, exactly as they were recorded."""

    def __init__(self, series: LandmarkSeries) -> None:
        self._series = series
        self._next = 0
        self.name = series.source

    def __next__(self) -> TimedPose:
        i = self._next
        if i >= len(self._series):
            raise StopIteration
        self._next = i + 1
        return float(self._series.t_s[i]), self._series.frame(i)

    def series(self) -> LandmarkSeries:
        """The saved series itself (a replay adds nothing to it)."""
        return self._series


class ModelStream(PoseStream):
    """Frames through a pose backend, fetched ahead on a second thread.

    Args:
        frames: ``(t_s, rgb)`` with strictly increasing ``t_s``.
        backend: The pose model, the caller's to close; or None with ``open_backend``.
        name: The source's name.
        ahead: Fetch (decode) frames on a thread of their own, a few ahead of the model.
        open_backend: Loads the model at the first frame (or :meth:`load_model`); the stream
            closes what it loaded.
    """

    def __init__(
        self,
        frames: Frames,
        backend: PoseBackend | None = None,
        name: str = "",
        ahead: bool = True,
        open_backend: Callable[[], PoseBackend] | None = None,
    ) -> None:
        if (backend is None) == (open_backend is None):
            raise ValueError("give either a backend or a way to open one")
        self._frames: Iterator[tuple[float, RgbImage]] = prefetch(frames) if ahead else iter(frames)
        self._backend = backend
        self._open_backend = open_backend
        self._closed = False
        self._times: list[float] = []
        self._poses: list[PoseFrame | None] = []
        self.image_wh = (0, 0)
        self.name = name

    def load_model(self) -> PoseBackend:
        """The backend, loaded now if the stream opens its own.

        Raises:
            ModelInstallError: The model cannot be loaded.
        """
        if self._backend is None:
            assert self._open_backend is not None
            self._backend = self._open_backend()
        return self._backend

    def __next__(self) -> TimedPose:
        backend = self.load_model()
        t_s, rgb = next(self._frames)
        self.image_wh = (rgb.shape[1], rgb.shape[0])
        pose = backend.detect(rgb, t_s)
        self._times.append(t_s)
        self._poses.append(pose)
        return t_s, pose

    def series(self) -> LandmarkSeries:
        """The landmarks found so far, one row per frame (NaN where nobody was found)."""
        return LandmarkSeries.from_frames(self._times, self._poses, self.image_wh, self.name)

    def close(self) -> None:
        """Stop the decode-ahead thread, close the frames and, if it owns it, the model."""
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()
        finally:
            if self._open_backend is not None and self._backend is not None:
                self._backend.close()


def frame_poses(
    frames: Frames, backend: PoseBackend, name: str = "", ahead: bool = True
) -> ModelStream:
    """Poses of camera (or any) frames through ``backend``, which stays the caller's to close."""
    return ModelStream(frames, backend, name, ahead)


def replay_poses(series: LandmarkSeries) -> ReplayStream:
    """Saved landmarks replayed as timed poses."""
    return ReplayStream(series)


def video_poses(
    path: Path,
    model_path: Path,
    back_curve: bool = True,
    as_live: bool = False,
    name: str | None = None,
    model_buffer: bytes | None = None,
) -> ModelStream:
    """Poses of a video file from a fresh pose model (its VIDEO mode tracks one clip's own
    timestamps), decoded ahead, refused past ``MAX_VIDEO_FRAMES``. Nothing is opened until the
    first frame is asked for (or :meth:`ModelStream.load_model`).

    Args:
        path: The video.
        model_path: The pose model bundle.
        back_curve: Ask the model for the segmentation mask and read the back's outline.
        as_live: Each frame as the Practice page receives a camera's (640x480 through VP8).
        name: The source's name (default: the file name).
        model_buffer: The bundle's bytes, already read (``model_path`` then only names it).

    Raises:
        ModelInstallError: The model cannot be loaded (here, or at the first frame).
        RecordingError: While reading: the video cannot be decoded, or is too long.
    """
    from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
    from formcheck.source.recording import bounded_frames

    frames: Frames = bounded_frames(path)
    if as_live:
        from formcheck.corpus.as_live import as_received_live

        frames = as_received_live(frames)
    return ModelStream(
        frames,
        name=path.name if name is None else name,
        open_backend=lambda: MediaPipePoseBackend(
            model_path, back_curve=back_curve, model_buffer=model_buffer
        ),
    )


def recording_poses(
    recording: Recording,
    model_path: Path | None,
    back_curve: bool = True,
    name: str | None = None,
    model_buffer: bytes | None = None,
) -> PoseStream:
    """Poses of an opened recording: its saved landmarks replayed, or its video through the model.

    Raises:
        ValueError: A video without ``model_path``.
        ModelInstallError: The model cannot be loaded.
    """
    if recording.series is not None:
        return ReplayStream(recording.series)
    if model_path is None:
        raise ValueError("a video needs the pose model")
    return video_poses(recording.path, model_path, back_curve, name=name, model_buffer=model_buffer)
