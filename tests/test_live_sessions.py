"""Live sessions that outlast their camera stream, and sessions that must not mix.

The fake model here reads the person from the picture, as the real one does: the first pixel's
red value is the knee flexion in degrees. So a stream's frames carry their own movement whatever
the session clock says, and two streams can show two different people.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from formcheck.landmarks import PoseFrame
from formcheck.pose import mediapipe_backend
from formcheck.pose.model_store import ModelInstallError
from formcheck.specs.loader import load_spec
from formcheck.specs.schema import ExerciseSpec
from formcheck.ui import live_model, practice_page, webrtc
from formcheck.ui.live import LiveProcessor, StreamClock
from formcheck.ui.live_model import StreamModel
from tests.factories import side_view_squat_frame
from tests.support.live import FPS, PAGE, FakeStream, squat_knee_deg

STANDING_DEG = 10
ONE_REP_S = 4.5  # STAND_S + REP_S of tests.support.live's squatter: one rep, then standing


def picture(knee_deg: float) -> np.ndarray:
    """A tiny camera frame showing a person with this knee flexion (to :class:`PictureModel`)."""
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[0, 0, 0] = round(knee_deg)
    return rgb


class PictureModel:
    """A pose model stand-in for one stream: VIDEO mode's strictly increasing timestamps are
    checked, and the pose comes from the picture."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.closed = False

    def detect(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
        assert not self.closed, "a closed model was used"
        assert not self.times or t_s > self.times[-1], "timestamps must increase (VIDEO mode)"
        self.times.append(t_s)
        return side_view_squat_frame(t_s, float(rgb[0, 0, 0]))

    def close(self) -> None:
        self.closed = True


class Models:
    """Opens :class:`PictureModel` s and keeps them, in order, for the test to inspect."""

    def __init__(self) -> None:
        self.opened: list[PictureModel] = []

    def __call__(self) -> PictureModel:
        self.opened.append(PictureModel())
        return self.opened[-1]


@pytest.fixture(scope="module")
def squat() -> ExerciseSpec:
    return load_spec("box_squat")


def stream_squats(
    proc: LiveProcessor, reps: int, origin_s: float, stand_after_s: float = 1.0
) -> None:
    """One camera stream: ``reps`` squats then standing, with timestamps from ``origin_s``."""
    seconds = 1.5 + 3.0 * reps + stand_after_s
    for i in range(round(seconds * FPS)):
        t = i / FPS
        proc.process(picture(squat_knee_deg(t, reps)), origin_s + t)


@pytest.mark.parametrize(
    "second_origin_s",
    [
        pytest.param(3.0, id="new stream starts lower"),
        pytest.param(50_000.0, id="new stream starts hours later"),
        pytest.param(1234.5 + 15.0, id="new stream continues the old timestamps"),
    ],
)
def test_camera_off_and_on_mid_set_keeps_the_count(
    squat: ExerciseSpec, second_origin_s: float
) -> None:
    models = Models()
    proc = LiveProcessor(squat, StreamModel(models))
    stream_squats(proc, reps=2, origin_s=1234.5)
    assert proc.snapshot().rep_count == 2
    t_before = proc.snapshot().t_s

    proc.pause()  # STOP
    assert proc.status == "paused"
    assert proc.snapshot().rep_count == 2
    assert models.opened[0].closed, "the model is released while the camera is off"

    stream_squats(proc, reps=2, origin_s=second_origin_s)  # START: another stream
    snap = proc.snapshot()
    assert snap.status == "running"
    assert (snap.rep_count, snap.good_reps) == (4, 4)
    assert len(models.opened) == 2, "the new stream gets a fresh tracker"
    # Session time stood still while the camera was off: the second stream adds its own length.
    second_stream_s = (round((1.5 + 3.0 * 2 + 1.0) * FPS) - 1) / FPS
    assert snap.t_s == pytest.approx(t_before + 1e-3 + second_stream_s, abs=1e-6)
    summary = proc.finish()
    assert summary is not None and len(summary.result.reps) == 4


def test_pause_before_any_frame_or_after_the_end_changes_nothing(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, StreamModel(Models()))
    proc.pause()
    assert proc.status == "waiting"
    stream_squats(proc, reps=1, origin_s=0.0)
    proc.stop_for_pain()
    proc.pause()
    assert proc.status == "stopped_for_pain"


def test_a_frame_finished_after_the_stop_keeps_the_pause(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, StreamModel(Models()))
    stream_squats(proc, reps=1, origin_s=0.0)

    class StoppingModel(PictureModel):
        def detect(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
            proc._status = "paused"  # what pause() does while the model works on this frame
            return super().detect(rgb, t_s)

    proc._backend = StoppingModel()
    proc.process(picture(STANDING_DEG), 100.0)
    assert proc.status == "paused"
    assert proc.snapshot().frames > 0


def test_a_finished_session_releases_the_model(squat: ExerciseSpec) -> None:
    models = Models()
    proc = LiveProcessor(squat, StreamModel(models))
    stream_squats(proc, reps=1, origin_s=0.0)
    proc.finish()
    assert models.opened[0].closed


def test_two_sessions_at_once_keep_their_own_state(squat: ExerciseSpec) -> None:
    # Two tabs: one person squats, the other stands still; their frames interleave on the server.
    models = Models()
    squatter = LiveProcessor(squat, StreamModel(models))
    stander = LiveProcessor(squat, StreamModel(models))
    seconds = 1.5 + 3.0 * 3 + 1.0
    for i in range(round(seconds * FPS)):
        t = i / FPS
        squatter.process(picture(squat_knee_deg(t, 3)), 500.0 + t)
        stander.process(picture(STANDING_DEG), 90_000.0 + t)
    assert squatter.snapshot().rep_count == 3
    assert stander.snapshot().rep_count == 0
    assert len(models.opened) == 2, "each session has its own model"
    for model in models.opened:
        assert len(model.times) == round(seconds * FPS), "each model saw one stream only"


def test_a_model_that_cannot_open_is_reported_to_the_page(squat: ExerciseSpec) -> None:
    def broken() -> PictureModel:
        raise ModelInstallError("pose_landmarker_full.task cannot be used by MediaPipe (bad)")

    proc = LiveProcessor(squat, StreamModel(broken))
    frame = picture(STANDING_DEG)
    assert proc.process(frame, 0.0) is frame
    problem = proc.snapshot().model_problem
    assert problem is not None and "cannot be used by MediaPipe" in problem


def test_stream_model_opens_on_demand_and_again_after_close() -> None:
    models = Models()
    model = StreamModel(models)
    assert not model.is_open and model.opened == 0
    model.close()  # nothing open: nothing to do
    model.detect(picture(STANDING_DEG), 0.0)
    model.detect(picture(STANDING_DEG), 0.1)
    assert model.is_open and model.opened == 1
    model.close()
    assert not model.is_open and models.opened[0].closed
    model.detect(picture(STANDING_DEG), 0.0)  # a new stream may start its clock again
    assert model.opened == 2 and models.opened[1].times == [0.0]


def test_stream_clock_new_stream_is_marked_by_the_page() -> None:
    clock = StreamClock()
    assert [clock(t) for t in (10.0, 10.1)] == pytest.approx([0.0, 0.1])
    clock.new_stream()
    # The new stream's timestamps look like a continuation, but the camera was off meanwhile.
    assert [clock(t) for t in (10.2, 10.3)] == pytest.approx([0.101, 0.201])


# -- the page: STOP and START again, and two browser sessions --------------------------------


@pytest.fixture
def camera(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeStream, Models]:
    """The page with a fake stream; the page's own model factory, opening fakes for MediaPipe."""
    fake = FakeStream()
    models = Models()
    monkeypatch.setattr(webrtc, "start_camera_stream", fake)
    monkeypatch.setattr(practice_page, "model_path_or_none", lambda: (Path("fake.task"), None))
    assert practice_page.live_backend is live_model.live_backend
    monkeypatch.setattr(mediapipe_backend, "MediaPipePoseBackend", lambda _path: models())
    return fake, models


def _page_processor(at: AppTest) -> LiveProcessor:
    proc = at.session_state["live_processor"]
    assert isinstance(proc, LiveProcessor)
    return proc


def _reps(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "Reps")


def test_page_stop_and_start_carries_on_the_set(camera: tuple[FakeStream, Models]) -> None:
    stream, _models = camera
    stream.playing = True
    at = AppTest.from_string(PAGE, default_timeout=60).run()
    proc = _page_processor(at)
    stream_squats(proc, reps=2, origin_s=10.0)
    at.run()
    assert _reps(at) == "2"

    stream.playing = False  # STOP
    at.run()
    assert not at.exception
    assert proc.status == "paused" and _reps(at) == "2"
    assert at.button(key="practice_finish").label == "Finish session"

    stream.playing = True  # START: the set goes on
    at.run()
    stream_squats(proc, reps=1, origin_s=7.0)
    at.run()
    assert not at.exception
    assert proc.status == "running" and _reps(at) == "3"
    assert not at.get("download_button"), "no summary while the set goes on"


def test_page_sessions_get_their_own_processor_and_model(
    camera: tuple[FakeStream, Models],
) -> None:
    stream, models = camera
    stream.playing = True
    first = AppTest.from_string(PAGE, default_timeout=60).run()
    second = AppTest.from_string(PAGE, default_timeout=60).run()
    a, b = _page_processor(first), _page_processor(second)
    assert a is not b
    a.process(picture(STANDING_DEG), 1.0)
    b.process(picture(STANDING_DEG), 1.0)
    assert len(models.opened) == 2
