"""The optional video of a practice set: the camera frames the engine analysed, in a local file.

Nothing is recorded unless the patient switches it on for a set. The file lives in the history's
data folder (:func:`formcheck.history.database.data_folder`), under
``recordings/<patient id>/<UTC time>-<random>.mp4`` (folders 0700, file 0600), and is listed with
the saved set, so deleting the patient deletes it.

A file no saved set lists never carries the final name: it is written as ``<name>.mp4.partial``
and renamed only once the set is saved (:meth:`FrameRecorder.keep`). While a recorder has it,
the file is locked (``flock``; on Windows an open file cannot be deleted anyway), so
:func:`remove_leftovers` can delete what a crashed or killed app left behind without touching a
set being recorded in another tab or process.
"""

from __future__ import annotations

import math
import os
import queue
import secrets
import stat
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from formcheck.history.database import recordings_root
from formcheck.ui.live import to_video_frame

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

RgbImage = npt.NDArray[np.uint8]

PARTIAL_SUFFIX = ".partial"
CODEC = "libx264"
# x264's cheapest settings: no look-ahead and no B-frames, so each frame is encoded as it comes
# (about 1-3 ms at 640x480 here) and a still is found by its own timestamp. One encoder thread:
# the pose model needs the cores more than the recording does.
CODEC_OPTIONS = {"preset": "ultrafast", "tune": "zerolatency", "crf": "23"}
ENCODER_THREADS = 1
# A key frame every 2 s at 30 fps bounds what a still from the middle of a long set decodes.
KEY_FRAME_EVERY = 60
# 90 kHz, MPEG's usual video clock: session times 1 ms apart stay distinct.
TIME_BASE = Fraction(1, 90_000)
# Frames are timed by their own timestamps; the nominal rate only guides the rate control.
NOMINAL_FPS = Fraction(30)
# About a second of 640x480 frames (28 MB) may wait for the encoder; more are dropped, not queued.
QUEUE_FRAMES = 30
# A .partial this recent may belong to a recorder that has created but not yet locked it.
LEFTOVER_MIN_AGE_S = 60.0


def recordings_folder(url: str | None = None) -> Path:
    """The recordings folder for the history database ``url`` (default: the one in use)."""
    return recordings_root(url)


def _private_folder(folder: Path) -> Path:
    """``folder``, created if needed, a real folder of this user's that only they can open."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise OSError(f"{folder} is not a folder of this user's")
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)
    return folder


def new_recording_path(patient_id: int, url: str | None = None) -> Path:
    """A fresh file name for a recording of ``patient_id``'s set; creates its private folders.

    Raises:
        OSError: A folder cannot be created or is not private.
    """
    root = _private_folder(recordings_folder(url))
    folder = _private_folder(root / str(int(patient_id)))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{stamp}-{secrets.token_hex(4)}.mp4"


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def remove_leftovers(folder: Path | None = None) -> list[Path]:
    """Delete the ``.partial`` recordings nobody is writing or keeping any more; return them.

    Only regular files directly in the patient folders of ``folder`` (default: the recordings
    folder in use) are considered; links are never followed. A file a recorder holds, or one
    younger than :data:`LEFTOVER_MIN_AGE_S`, is left alone.
    """
    root = folder or recordings_folder()
    removed: list[Path] = []
    if root.is_symlink() or not root.is_dir():
        return removed
    for patient in root.iterdir():
        if patient.is_symlink() or not patient.is_dir():
            continue
        for entry in patient.iterdir():
            if entry.name.endswith(PARTIAL_SUFFIX) and _remove_if_abandoned(entry):
                removed.append(entry)
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < LEFTOVER_MIN_AGE_S:
            return False
        if fcntl is None:
            path.unlink()  # fails while a recorder has the file open
            return True
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()
        finally:
            os.close(fd)
    except OSError:  # held by a recorder, or already gone
        return False
    return True


@dataclass
class _File:
    """The file being written, shared by a recorder, its writer thread and its finalizer."""

    partial: Path
    fd: int | None = None  # holds the lock
    written: int = 0
    complete: bool = False  # closed with its index written
    kept: bool = False
    error: str | None = None

    def create(self) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        self.fd = os.open(self.partial, flags, 0o600)
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _Mp4:
    """An H.264 MP4 opened for the first frame's size; used by the writer thread only."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        self._container = av.open(str(path), mode="w", format="mp4")
        try:
            stream = self._container.add_stream(CODEC, options=CODEC_OPTIONS)
            if not isinstance(stream, av.VideoStream):
                raise ValueError(f"{CODEC} gave no video stream")
            # yuv420p needs even sides; a frame of another size is scaled to this one.
            stream.width, stream.height = max(2, width // 2 * 2), max(2, height // 2 * 2)
            stream.pix_fmt = "yuv420p"
            stream.time_base = TIME_BASE
            stream.codec_context.time_base = TIME_BASE
            stream.codec_context.framerate = NOMINAL_FPS
            stream.codec_context.gop_size = KEY_FRAME_EVERY
            stream.codec_context.thread_count = ENCODER_THREADS
        except BaseException:
            self._container.close()
            raise
        self._stream = stream
        self._last_pts = -1

    def add(self, t_s: float, rgb: RgbImage) -> None:
        frame = to_video_frame(rgb)
        # Session time never repeats; should a caller's do, the frame still gets its own tick.
        frame.pts = max(round(t_s / TIME_BASE), self._last_pts + 1)
        frame.time_base = TIME_BASE
        self._last_pts = frame.pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()


_Item = tuple[float, RgbImage] | None  # None: no more frames


def _write_all(frames: queue.Queue[_Item], file: _File) -> None:
    """The writer thread: encode queued frames until told to stop; record any failure."""
    mp4: _Mp4 | None = None
    while (item := frames.get()) is not None:
        if file.error is not None:
            continue  # keep draining, so that a full queue never blocks the one who stops it
        t_s, rgb = item
        try:
            if mp4 is None:
                file.create()
                mp4 = _Mp4(file.partial, rgb.shape[1], rgb.shape[0])
            mp4.add(t_s, rgb)
            file.written += 1
        except (av.FFmpegError, OSError, ValueError) as exc:
            file.error = str(exc)
    if mp4 is None:
        return
    try:
        mp4.close()
    except (av.FFmpegError, OSError, ValueError) as exc:
        file.error = file.error or str(exc)
    file.complete = file.error is None and file.written > 0


def _stop(frames: queue.Queue[_Item], thread: threading.Thread) -> None:
    """Tell the writer thread there are no more frames and wait until the file is closed."""
    while thread.is_alive():
        try:
            frames.put(None, timeout=0.1)
            break
        except queue.Full:
            continue
    thread.join()


def _discard(frames: queue.Queue[_Item], thread: threading.Thread, file: _File) -> None:
    _stop(frames, thread)
    if not file.kept:
        file.partial.unlink(missing_ok=True)
    file.release()


class FrameRecorder:
    """Writes one set's camera frames to an H.264 MP4 file on a thread of its own.

    :meth:`write` is the frame sink for :meth:`formcheck.ui.live.LiveProcessor.record_to`: it
    runs on streamlit-webrtc's thread and only queues the frame. When :data:`QUEUE_FRAMES` are
    already waiting the frame is dropped and counted (:attr:`dropped`), so the live feedback never
    waits for the encoder. Each frame is shown at the session time it comes with, so a time from
    the set's result finds that moment in the file
    (:func:`formcheck.report.stills.frame_at`).

    The file is created on the first frame as ``<path>.partial`` and gets ``path`` only in
    :meth:`keep`. :meth:`discard` (run also when the recorder is dropped, and at exit) deletes a
    file that was not kept.

    Args:
        path: The final file name, from :func:`new_recording_path`.
        patient_id: Whose set it is: it may be kept only with a set saved for them.
        queue_frames: How many frames may wait for the encoder.
    """

    def __init__(
        self, path: Path, patient_id: int | None = None, queue_frames: int = QUEUE_FRAMES
    ) -> None:
        self.path = path
        self.patient_id = patient_id
        self.dropped = 0
        self._closed = False
        self._frames: queue.Queue[_Item] = queue.Queue(maxsize=queue_frames)
        self._file = _File(_partial(path))
        # The thread gets the queue and the file, not the recorder, so a recorder nobody holds
        # any more is collected and its finalizer deletes the file.
        self._thread = threading.Thread(
            target=_write_all,
            args=(self._frames, self._file),
            name="formcheck-recorder",
            daemon=True,
        )
        self._thread.start()
        self._discard = weakref.finalize(self, _discard, self._frames, self._thread, self._file)

    @property
    def partial_path(self) -> Path:
        """The file's name until it is kept."""
        return self._file.partial

    @property
    def written(self) -> int:
        """Frames encoded so far."""
        return self._file.written

    @property
    def error(self) -> str | None:
        """Why the file could not be written (``None`` while all is well)."""
        return self._file.error

    @property
    def kept(self) -> bool:
        """Whether :meth:`keep` gave the file its final name."""
        return self._file.kept

    def write(self, t_s: float, rgb: RgbImage) -> None:
        """Queue one RGB frame shown at ``t_s`` session seconds; never blocks, never raises.

        The frame is encoded later on the writer thread, so the caller must not change it.
        """
        if self._closed or not math.isfinite(t_s):
            return
        try:
            self._frames.put_nowait((t_s, rgb))
        except queue.Full:
            self.dropped += 1

    def close(self) -> Path | None:
        """Encode what is queued, finish the file and return it (still its ``.partial`` name);
        ``None`` when no frame was written or writing failed. Later calls change nothing."""
        if not self._closed:
            self._closed = True
            _stop(self._frames, self._thread)
        if self._file.kept:
            return self.path
        return self._file.partial if self._file.complete else None

    def keep(self) -> Path:
        """Close the file and give it its final name: a saved set lists it now.

        Raises:
            OSError: There is no complete file, or it cannot be renamed.
        """
        if self._file.kept:
            return self.path
        partial = self.close()
        if partial is None:
            raise OSError(self.error or "no frame was recorded")
        if fcntl is None:
            self._file.release()  # Windows renames no open file
        os.replace(partial, self.path)
        self._file.kept = True
        self._file.release()
        return self.path

    def discard(self) -> None:
        """Stop recording and delete the file unless it was kept. Safe to call twice."""
        self._closed = True
        self._discard()
