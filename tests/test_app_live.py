"""The live frame processor as plain functions: a fake pose model, synthetic squats, no browser."""

from __future__ import annotations

import threading
import time
from fractions import Fraction

import av
import numpy as np
import pytest

from formcheck.feedback import REASON_PERSIST_S
from formcheck.landmarks import PoseFrame
from formcheck.render.overlay import key_value_text
from formcheck.specs.loader import load_spec
from formcheck.specs.schema import ExerciseSpec
from formcheck.ui.live import LiveProcessor, StreamClock, frame_time_s
from formcheck.ui.progress import hold_round_text, holds_by_side, rep_sets
from formcheck.ui.speech import speech_html
from tests.support.live import BLACK, FPS, FakeBackend, run_coroutine


@pytest.fixture(scope="module")
def squat() -> ExerciseSpec:
    return load_spec("box_squat")


def feed(proc: LiveProcessor, seconds: float, start_raw_s: float = 1234.5) -> np.ndarray:
    """Push ``seconds`` of frames at :data:`FPS` through ``proc``; return the last output."""
    out = BLACK
    for i in range(round(seconds * FPS)):
        out = proc.process(BLACK, start_raw_s + i / FPS)
    return out


def test_counts_three_reps_and_draws_overlay(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, FakeBackend())
    out = feed(proc, 12.0)
    snap = proc.snapshot()
    assert snap.status == "running"
    assert (snap.rep_count, snap.good_reps, snap.faulty_reps) == (3, 3, 0)
    assert snap.view == "side"
    assert snap.side in ("left", "right")
    assert out.shape == BLACK.shape and out.dtype == np.uint8
    assert out.any(), "the overlay (skeleton, status panel) should be drawn on the black frame"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (95.4, "deg", "95deg"),  # a knee angle
        (0.853, "torso", "0.85 torso"),  # the butterfly's knee height, in torso lengths
        (0.4, "thigh", "0.40 thigh"),
    ],
)
def test_key_value_text(value: float, unit: str, text: str) -> None:
    assert key_value_text(value, unit) == text


def test_session_time_starts_at_zero_whatever_the_stream_offset(squat: ExerciseSpec) -> None:
    backend = FakeBackend()
    proc = LiveProcessor(squat, backend)
    feed(proc, 1.0, start_raw_s=98765.0)
    assert backend.times[0] == 0.0
    assert backend.times[-1] == pytest.approx(14 / FPS)
    assert proc.snapshot().t_s == pytest.approx(14 / FPS)


def test_dropped_frames_change_sampling_not_the_count(squat: ExerciseSpec) -> None:
    # Only every third frame arrives (a slow machine): the timestamps still say 15 fps time.
    proc = LiveProcessor(squat, FakeBackend())
    for i in range(0, 12 * FPS, 3):
        proc.process(BLACK, 50.0 + i / FPS)
    assert proc.snapshot().rep_count == 3


def test_no_person_is_explained_in_plain_words(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, FakeBackend(person=False))
    feed(proc, 1.0)
    snap = proc.snapshot()
    assert not snap.assessable
    assert snap.reason == "no_person"
    assert snap.why_not and "picture" in snap.why_not
    assert snap.cue_text == snap.why_not  # the one cue on screen is the reason


def test_not_ready_until_start_position(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, FakeBackend())
    proc.process(BLACK, 0.0)
    snap = proc.snapshot()
    assert snap.reason == "not_ready"
    assert snap.why_not and snap.why_not.startswith("Get into the start position")


def test_cue_sequence_changes_only_when_a_new_cue_is_issued(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, FakeBackend(person=False))
    seqs = []
    for i in range(30):  # 2 s at 15 fps with nobody in view
        proc.process(BLACK, i / FPS)
        seqs.append(proc.snapshot().cue_seq)
    # Said once nobody has been seen for REASON_PERSIST_S (a frame or two is a model miss).
    first = round(REASON_PERSIST_S * FPS)
    assert set(seqs[:first]) == {0}
    assert set(seqs[first:]) == {1}, "the same cue held on screen must not be spoken again"


def test_stop_for_pain_ends_at_once_and_is_recorded(squat: ExerciseSpec) -> None:
    backend = FakeBackend()
    proc = LiveProcessor(squat, backend)
    feed(proc, 5.0)
    reps_before = proc.snapshot().rep_count
    summary = proc.stop_for_pain()
    calls = len(backend.times)
    out = feed(proc, 7.0)
    assert len(backend.times) == calls, "no frame may be judged after the stop"
    assert proc.status == "stopped_for_pain"
    assert summary.stopped_for_pain and summary.report["stopped_for_pain"] is True
    assert summary.report["reps"]["count"] == reps_before == 1
    assert proc.snapshot().rep_count == reps_before
    assert out.mean() < 60, "the picture is dimmed once the session is over"
    assert proc.stop_for_pain() is summary
    assert proc.finish() is summary


def test_finish_then_reset_starts_a_fresh_session(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, FakeBackend())
    assert proc.finish() is None, "nothing to summarise before the first frame"
    feed(proc, 12.0)
    summary = proc.finish()
    assert summary is not None and not summary.stopped_for_pain
    assert summary.result.exercise == "box_squat" and len(summary.result.reps) == 3
    assert summary.report["source"] == "live camera"
    proc.reset()
    assert proc.status == "waiting" and proc.snapshot().rep_count == 0
    feed(proc, 12.0, start_raw_s=3.0)
    assert proc.snapshot().rep_count == 3


def test_reset_to_another_exercise(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, FakeBackend())
    proc.reset(load_spec("hip_hinge"))
    assert proc.spec.id == "hip_hinge"
    assert proc.snapshot().status == "waiting"


def test_a_frame_in_flight_during_reset_is_dropped(squat: ExerciseSpec) -> None:
    proc = LiveProcessor(squat, FakeBackend())

    class ResettingBackend(FakeBackend):
        def detect(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
            proc.reset()  # the page resets while the model is busy with this frame
            return super().detect(rgb, t_s)

    proc._backend = ResettingBackend()
    out = proc.process(BLACK, 0.0)
    assert out is BLACK
    assert proc.snapshot().frames == 0


def _video_frame(pts: int) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(BLACK, format="rgb24")
    frame.pts = pts
    frame.time_base = Fraction(1, 90000)
    return frame


def test_process_newest_judges_only_the_latest_frame(squat: ExerciseSpec) -> None:
    backend = FakeBackend()
    proc = LiveProcessor(squat, backend)
    first = [_video_frame(90000)]
    queued = [_video_frame(90000 + k * 6000) for k in (1, 2, 3)]  # 15 fps in a 90 kHz clock
    out1 = run_coroutine(proc.process_newest(first))
    out2 = run_coroutine(proc.process_newest(queued))
    assert len(out1) == len(out2) == 1
    assert backend.times == [0.0, pytest.approx(3 / 15)]
    assert out2[0].to_ndarray(format="rgb24").shape == BLACK.shape
    assert run_coroutine(proc.process_newest([])) == []


def test_frame_time_from_pts() -> None:
    frame = _video_frame(180000)
    assert frame_time_s(frame) == pytest.approx(2.0)
    frame.pts = None
    assert frame_time_s(frame) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # scenario: a steady 10 fps stream at an arbitrary origin starts at zero
        ([500.0, 500.1, 500.2], [0.0, 0.1, 0.2]),
        # scenario: a repeated timestamp still moves time on (1 ms)
        ([7.0, 7.0, 7.1], [0.0, 0.001, 0.101]),
        # scenario: the stream restarts at a lower origin; time keeps increasing
        ([10.0, 10.1, 2.0, 2.1], [0.0, 0.1, 0.101, 0.201]),
        # scenario: a two-second gap is kept (the person may really have left)
        ([1.0, 3.0], [0.0, 2.0]),
        # scenario: frames without timestamps advance by one nominal frame
        ([None, None], [0.0, 1 / 30]),
    ],
)
def test_stream_clock(raw: list[float | None], expected: list[float]) -> None:
    clock = StreamClock()
    assert [clock(r) for r in raw] == pytest.approx(expected)


def test_snapshots_are_consistent_while_frames_arrive(squat: ExerciseSpec) -> None:
    # The page thread reads while the worker thread writes: every snapshot must be whole.
    proc = LiveProcessor(squat, FakeBackend())
    done = threading.Event()

    def worker() -> None:
        feed(proc, 12.0)
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    seen = []
    while not done.is_set():
        snap = proc.snapshot()
        assert snap.good_reps + snap.faulty_reps == snap.rep_count
        seen.append(snap.rep_count)
        time.sleep(0.001)  # poll like a page would, without starving the worker of the GIL
    thread.join()
    assert seen == sorted(seen), "the count never goes backwards"
    assert proc.snapshot().rep_count == 3


@pytest.mark.parametrize(
    ("reps_done", "label", "detail"),
    [
        (0, "1 of 3", "0 of 10 reps in this set"),
        (9, "1 of 3", "9 of 10 reps in this set"),
        (10, "2 of 3", "0 of 10 reps in this set"),
        (29, "3 of 3", "9 of 10 reps in this set"),
        (30, "3 of 3", "All prescribed sets done - well done."),
        (41, "3 of 3", "All prescribed sets done - well done."),
    ],
)
def test_rep_sets(squat: ExerciseSpec, reps_done: int, label: str, detail: str) -> None:
    progress = rep_sets(squat.prescription, reps_done)
    assert progress is not None
    assert (progress.label, progress.detail) == (label, detail)


def test_hold_rounds() -> None:
    spec = load_spec("supine_figure_four_stretch")
    done = holds_by_side(["left", "left", "right", "left"])
    assert done == {"left": 3, "right": 1}
    assert hold_round_text(spec.prescription, done) == "Holds done: left 2 of 2, right 1 of 2"
    assert rep_sets(spec.prescription, 5) is None


def test_speech_snippet_escapes_the_text() -> None:
    snippet = speech_html('Knees out </script><b>"now"</b>', 7)
    assert "cue 7" in snippet
    assert "</script><b>" not in snippet.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert "speechSynthesis" in snippet and "cancel()" in snippet


class FailingBackend(FakeBackend):
    """The fake model, raising on the frames whose index is in ``failing``."""

    def __init__(self, failing: set[int]) -> None:
        super().__init__()
        self.failing = failing

    def detect(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
        if len(self.times) in self.failing:
            self.times.append(t_s)
            raise RuntimeError("boom")
        return super().detect(rgb, t_s)


@pytest.mark.parametrize(
    ("failing", "reps"),
    [
        # one bad frame while standing: nothing lost
        ({5}, 3),
        # a second of bad frames at the start of the first descent: the set goes on
        (set(range(23, 38)), 3),
        # every frame fails: the stream still flows, nothing is counted
        (set(range(1000)), 0),
    ],
)
def test_a_frame_that_fails_does_not_end_the_stream(
    squat: ExerciseSpec, failing: set[int], reps: int, caplog: pytest.LogCaptureFixture
) -> None:
    # streamlit-webrtc ends the stream for good when the callback raises; the processor must not.
    proc = LiveProcessor(squat, FailingBackend(failing))
    n = round(12.0 * FPS)
    outs = [run_coroutine(proc.process_newest([_video_frame(90000 + k * 6000)])) for k in range(n)]
    assert all(len(out) == 1 for out in outs)
    snap = proc.snapshot()
    assert snap.failed_frames == len(failing & set(range(n)))
    assert snap.rep_count == reps
    assert "could not check a camera frame" in caplog.text
    logged = caplog.text.count("could not check a camera frame")
    assert logged <= 1 + snap.failed_frames // 100, "not logged for every failing frame"
