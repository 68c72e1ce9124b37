"""Opening what formcheck analyses: a video file, or landmarks saved from one (``.npz``).

The CLI (``analyze``, ``program``, ``bench``, ``batch``), the Review page and the tests all start
here, so a recording is checked and described in one way before any model work;
:mod:`formcheck.source.poses` then turns it into poses. PyAV is imported only when a video is
opened.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import LandmarkSeries

if TYPE_CHECKING:
    from formcheck.source.video import VideoInfo

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
        """True for saved landmarks, False for a video."""
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
    from formcheck.source.video import VideoError, probe

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


def bounded_frames(path: Path) -> Iterator[tuple[float, npt.NDArray[np.uint8]]]:
    """The video's decoded frames (:func:`formcheck.source.video.iter_frames`), refused past
    ``MAX_VIDEO_FRAMES``; a decoding failure part-way is a :class:`RecordingError`."""
    from formcheck.source.video import VideoError, iter_frames

    try:
        yield from _bounded(path, iter_frames(path))
    except VideoError as exc:
        raise RecordingError(str(exc)) from None
