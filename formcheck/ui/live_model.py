"""The Practice page's pose model: one per browser session, open only while its camera streams.

A VIDEO-mode landmarker tracks: it looks for the person where the previous frame found them, and
its timestamps must keep increasing. Two people practising at once (two tabs, two laptops on one
server) must therefore not share one model, or each frame would be searched where the other
person stood and each stream's clock would push the other's forward. A model costs about 110 MB
and 0.2-0.3 s to open here, so it is opened on a stream's first frame and closed when the camera
stops: an open tab with the camera off holds none.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import PoseFrame
from formcheck.pose.backend import PoseBackend


class _Slot:
    """The open model, if any, behind a lock; kept apart so a finalizer can close it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.backend: PoseBackend | None = None

    def close(self) -> None:
        with self.lock:
            backend, self.backend = self.backend, None
        if backend is not None:
            backend.close()


class StreamModel:
    """A :class:`PoseBackend` that opens the real model on first use and closes it on ``close``.

    After ``close`` the next :meth:`detect` opens a fresh model, so one instance serves every
    stream of a page session, each with a clean tracker. Thread-safe: ``close`` waits for a
    detection in progress.

    Args:
        open_backend: Creates the real model.
    """

    def __init__(self, open_backend: Callable[[], PoseBackend]) -> None:
        self._open = open_backend
        self._slot = _Slot()
        self.opened = 0  # how many models were opened, for tests and support
        # A page session dropped with its camera on still closes its model, at the latest when
        # the interpreter exits (MediaPipe objects left to the garbage collector then complain).
        weakref.finalize(self, self._slot.close)

    @property
    def is_open(self) -> bool:
        """Whether a model is open now."""
        with self._slot.lock:
            return self._slot.backend is not None

    def detect(self, rgb: npt.NDArray[np.uint8], t_s: float) -> PoseFrame | None:
        """The landmarks in ``rgb`` at ``t_s``, opening the model first when it is closed."""
        with self._slot.lock:
            if self._slot.backend is None:
                self._slot.backend = self._open()
                self.opened += 1
            return self._slot.backend.detect(rgb, t_s)

    def close(self) -> None:
        """Close the model (after a detection in progress); the next detection opens a fresh one."""
        self._slot.close()


def live_backend(model_path: str) -> PoseBackend:
    """A pose model for one page session (see the module docstring for why not a shared one)."""

    def open_backend() -> PoseBackend:
        from formcheck.pose.mediapipe_backend import MediaPipePoseBackend

        return MediaPipePoseBackend(Path(model_path))

    return StreamModel(open_backend)
