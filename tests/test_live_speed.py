"""The pieces that keep live practice and the offline analysis fast, checked for what they return.

Speed itself is measured by benchmark commands (``formcheck bench``, ``python -m
tests.browser.live_bench``), not by timed tests; these tests check that the faster paths give the
same results.
"""

from __future__ import annotations

import threading
import time
import tomllib
from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np
import pytest

from formcheck.analyze import run_poses
from formcheck.source.poses import frame_poses
from formcheck.source.prefetch import prefetch
from formcheck.specs.loader import load_spec
from formcheck.ui.live import MIN_COUNTING_FPS, LiveProcessor, RateMeter, to_video_frame
from formcheck.ui.webrtc import MEDIA_CONSTRAINTS
from tests.support.live import BLACK, FPS, FakeBackend, run_coroutine
from tests.support.paths import REPO


def _scene(h: int = 480, w: int = 640) -> np.ndarray:
    """Flat colour blocks, as the overlay draws them, plus a grey ramp."""
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[: h // 3] = (235, 70, 60)
    rgb[h // 3 : 2 * h // 3] = (60, 200, 90)
    rgb[2 * h // 3 :] = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None]
    return rgb


# -- the frame handed back to the WebRTC encoder ---------------------------------------------


def test_returned_frame_is_already_in_the_encoders_format() -> None:
    rgb = _scene()
    frame = to_video_frame(rgb)
    assert frame.format.name == "yuv420p"
    assert (frame.width, frame.height) == (640, 480)
    back = frame.to_ndarray(format="rgb24").astype(int)
    # 4:2:0 halves the colour resolution; away from edges the colours survive within a few levels.
    inner = np.ones(rgb.shape[:2], bool)
    inner[[0, 159, 160, 319, 320, 479], :] = False
    assert np.abs(back - rgb.astype(int))[inner].mean() < 3


def test_returned_frame_matches_ffmpegs_own_conversion() -> None:
    # Same colour matrix and range as the conversion aiortc would otherwise do itself.
    rgb = _scene()
    ours = to_video_frame(rgb).to_ndarray()
    ffmpeg = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    luma = np.abs(ours[:480].astype(int) - ffmpeg.to_ndarray()[:480].astype(int))
    assert luma.max() <= 1


def test_odd_sized_frame_is_returned_as_rgb() -> None:
    frame = to_video_frame(_scene(479, 641))
    assert frame.format.name == "rgb24" and (frame.width, frame.height) == (641, 479)


def test_camera_is_asked_for_its_full_frame_rate() -> None:
    # Chromium delivers the ideal rate: an ideal of 15 gave 14 frames a second from a 30 fps
    # camera, which capped the analysed rate at 12-13 whatever the server could do.
    assert MEDIA_CONSTRAINTS["video"]["frameRate"]["ideal"] >= 30


def test_streamlit_does_not_collect_garbage_after_every_rerun() -> None:
    # Streamlit's full collection after each script run held the GIL for 150-190 ms in the app
    # process; the Practice page reruns its metrics twice a second (measured: 8-12 analysed
    # frames a second with it, 17-24 without).
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


# -- the rates the page shows ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        # scenario: nothing to measure yet
        ([], 0.0),
        ([5.0], 0.0),
        # scenario: a steady 20 fps
        ([i / 20 for i in range(40)], 20.0),
        # scenario: only the last 3 s count: 30 fps for 5 s, then 10 fps for 3 s
        ([i / 30 for i in range(150)] + [5 + i / 10 for i in range(1, 31)], 10.0),
        # scenario: a new stream (time goes back) starts afresh
        ([100 + i / 30 for i in range(90)] + [2 + i / 15 for i in range(16)], 15.0),
        # scenario: a jump ahead beyond the window starts afresh
        ([i / 30 for i in range(30)] + [60 + i / 12 for i in range(13)], 12.0),
    ],
)
def test_rate_meter(times: list[float], expected: float) -> None:
    meter = RateMeter(window_s=3.0)
    for t in times:
        meter.add(t)
    assert meter.per_s() == pytest.approx(expected)


def _frame(pts: int) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
    frame.pts = pts
    frame.time_base = Fraction(1, 90000)
    return frame


def test_page_rates_follow_the_recent_frames() -> None:
    # A 30 fps camera; the model keeps up with every third frame.
    proc = LiveProcessor(load_spec("box_squat"), FakeBackend())
    pts = 0
    for _ in range(60):
        frames = []
        for _ in range(3):
            pts += 3000
            frames.append(_frame(pts))
        out = run_coroutine(proc.process_newest(frames))
        assert out[0].format.name == "yuv420p"
    snap = proc.snapshot()
    assert snap.camera_fps == pytest.approx(30.0)
    assert snap.fps == pytest.approx(10.0)
    proc.pause()
    paused = proc.snapshot()
    assert (paused.fps, paused.camera_fps) == (0.0, 0.0), "a paused camera checks nothing"
    # The camera on again: the rates describe the new stream only.
    run_coroutine(proc.process_newest([_frame(5_000_000 + k * 3000) for k in range(3)]))
    resumed = proc.snapshot()
    assert resumed.camera_fps == pytest.approx(30.0)
    assert resumed.fps == 0.0, "one analysed frame of the new stream gives no rate yet"


SLOW_RATE_CASES = [
    # (analysed frames a second, seconds of stream, warned): 10 a second is enough to count
    ("keeping_up", 10.0, 4.0, False),
    # 5 a second for a whole rate window: the page must say so
    ("too_slow", 5.0, 4.0, True),
    # 5 a second for the first second only (the model warming up): too early to tell
    ("warming_up", 5.0, 1.0, False),
]


@pytest.mark.parametrize(
    ("name", "fps", "seconds", "warned"), SLOW_RATE_CASES, ids=[c[0] for c in SLOW_RATE_CASES]
)
def test_too_slow_to_count_needs_a_whole_window_under_the_floor(
    name: str, fps: float, seconds: float, warned: bool
) -> None:
    proc = LiveProcessor(load_spec("box_squat"), FakeBackend())
    for k in range(round(seconds * fps) + 1):
        proc.process(BLACK, k / fps)
    snap = proc.snapshot()
    assert snap.too_slow_to_count is warned, (snap.fps, snap.too_slow_to_count)
    assert (snap.fps < MIN_COUNTING_FPS) is (fps < MIN_COUNTING_FPS)


# -- the offline analysis' frames, fetched on a second thread --------------------------------


def test_prefetch_keeps_order_and_everything() -> None:
    assert list(prefetch(range(1000), depth=3)) == list(range(1000))
    assert list(prefetch([])) == []


def test_prefetch_error_arrives_after_the_items_before_it() -> None:
    def frames() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("truncated at frame 3")

    got: list[int] = []
    with pytest.raises(ValueError, match="truncated at frame 3"):
        for item in prefetch(frames()):
            got.append(item)
    assert got == [1, 2]


def test_prefetch_runs_ahead_by_at_most_depth() -> None:
    produced: list[int] = []

    def frames() -> Iterator[int]:
        for i in range(100):
            produced.append(i)
            yield i

    items = prefetch(frames(), depth=4)
    assert next(items) == 0
    deadline = time.monotonic() + 10
    while len(produced) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # room for the thread to run further ahead, if it wrongly could
    # One handed over, four waiting in the queue, one made and waiting for room.
    assert len(produced) == 6
    items.close()


def test_prefetch_stops_and_closes_the_source_when_the_consumer_stops() -> None:
    closed = threading.Event()

    def frames() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()  # a video's container is closed here

    before = threading.active_count()
    for item in prefetch(frames(), depth=2):
        if item == 5:
            break
    assert closed.wait(5), "the source iterator was not closed"
    assert threading.active_count() == before, "the prefetch thread is still running"


def test_prefetch_refuses_a_depth_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(prefetch([1], depth=0))


def test_frame_poses_result_is_the_same_with_frames_fetched_ahead() -> None:
    spec = load_spec("box_squat")
    black = np.zeros((48, 64, 3), np.uint8)
    frames = [(i / FPS, black) for i in range(12 * FPS)]
    backend = FakeBackend()
    analysis = run_poses(spec, frame_poses(iter(frames), backend))
    assert backend.times == [t for t, _ in frames], "every frame, in order"
    assert len(analysis.result.reps) == 3
    assert [s.t_s for s in analysis.states] == [t for t, _ in frames]
