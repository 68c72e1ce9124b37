"""Live practice without a camera or a pose model: the synthetic squatter, a fake model that
shows it, a fake camera stream for the Practice page, and a way to run the processor's
coroutines."""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.landmarks import PoseFrame
from tests.factories import side_view_squat_frame

FPS = 15
STAND_S = 1.5  # standing still before the first rep, so the start position is seen
REP_S = 3.0  # down 1.2 s, bottom 0.3 s, up 1.2 s, standing 0.3 s
BLACK = np.zeros((480, 640, 3), np.uint8)
PAGE = "from formcheck.ui.practice_page import render\nrender()\n"  # the Practice page, for AppTest


def run_coroutine(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine on its own thread: the browser tests (Playwright's sync API) may leave an
    event loop running on this one when the whole suite runs in one process."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def squat_knee_deg(t_s: float, reps: int = 3) -> float:
    """Knee flexion of a person doing ``reps`` box squats, standing still before and after."""
    if t_s < STAND_S or t_s >= STAND_S + reps * REP_S:
        return 10.0
    c = (t_s - STAND_S) % REP_S
    if c < 1.2:
        return 10 + 85 * c / 1.2
    if c < 1.5:
        return 95.0
    if c < 2.7:
        return 95 - 85 * (c - 1.5) / 1.2
    return 10.0


class FakeBackend:
    """A pose model stand-in: the synthetic squatter at whatever time it is asked about."""

    def __init__(self, reps: int = 3, person: bool = True) -> None:
        self.reps = reps
        self.person = person
        self.times: list[float] = []

    def detect(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
        self.times.append(t_s)
        if not self.person:
            return None
        return side_view_squat_frame(t_s, squat_knee_deg(t_s, self.reps))

    def close(self) -> None:
        pass


@dataclass
class FakeStream:
    """Stands in for ``webrtc.start_camera_stream``; records how the page called it."""

    playing: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(
        self, key: str, on_frames: Any, desired_playing: bool | None = None, on_ended: Any = None
    ) -> bool:
        self.calls.append(
            {
                "key": key,
                "on_frames": on_frames,
                "desired_playing": desired_playing,
                "on_ended": on_ended,
            }
        )
        return self.playing
