"""Practice page under AppTest, with the webrtc seam and the pose model replaced by fakes.

The fake stream reports whether it "plays"; frames are pushed into the session's processor by the
test, as streamlit-webrtc's worker thread would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from formcheck.ui import practice_page, webrtc
from formcheck.ui.live import LiveProcessor
from tests.support.live import BLACK, FPS, PAGE, FakeBackend, FakeStream, run_coroutine


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> FakeStream:
    fake = FakeStream()
    monkeypatch.setattr(webrtc, "start_camera_stream", fake)
    monkeypatch.setattr(practice_page, "model_path_or_none", lambda: (Path("fake.task"), None))
    monkeypatch.setattr(practice_page, "live_backend", lambda _path: FakeBackend())
    return fake


def app() -> AppTest:
    return AppTest.from_string(PAGE, default_timeout=60)


def processor(at: AppTest) -> LiveProcessor:
    proc = at.session_state["live_processor"]
    assert isinstance(proc, LiveProcessor)
    return proc


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_setup_card_and_idle_panel(stream: FakeStream) -> None:
    at = app().run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "Set-up: Box squat" in text and "Where to put the laptop." in text
    assert "Start position." in text
    assert not any("cannot check" in c.value for c in at.caption)
    assert stream.calls[-1]["desired_playing"] is None
    assert stream.calls[-1]["on_frames"] == processor(at).process_newest
    assert metrics(at)["Reps"] == "0"
    assert any("Press START" in i.value for i in at.info)
    pain = at.button(key="practice_pain")
    assert pain.label == "Stop - this hurts" and not pain.disabled


def test_exercise_query_parameter_and_change(stream: FakeStream) -> None:
    at = app()
    at.query_params["exercise"] = "glute_bridge"
    at.run()
    assert at.selectbox(key="practice_exercise").value == "glute_bridge"
    assert processor(at).spec.id == "glute_bridge"
    at.selectbox(key="practice_exercise").set_value("supine_figure_four_stretch").run()
    assert not at.exception
    assert processor(at).spec.id == "supine_figure_four_stretch"
    labels = metrics(at)
    assert "Hold" in labels and "Reps" not in labels, "a stretch shows the hold timer"
    assert at.selectbox(key="practice_side").value == "auto"
    # The set-up card says what the camera cannot see in this stretch (a twist of the pelvis);
    # the box squat's card had nothing of the kind.
    captions = " ".join(c.value for c in at.caption)
    assert "cannot check this; watch it yourself: A twist of the pelvis" in captions


def test_live_counts_then_summary_when_finished(stream: FakeStream) -> None:
    stream.playing = True
    at = app().run()
    proc = processor(at)
    for i in range(12 * FPS):
        proc.process(BLACK, i / FPS)  # what the worker thread does with camera frames
    at.run()
    assert metrics(at)["Reps"] == "3"
    assert metrics(at)["Set"] == "1 of 3"
    stream.playing = False  # the user pressed STOP: the set is paused, not over
    at.run()
    assert not at.exception
    assert proc.status == "paused" and metrics(at)["Reps"] == "3"
    assert any("count is kept" in i.value for i in at.info)
    assert stream.calls[-1]["on_ended"] == proc.pause, "a stream that ends unseen pauses too"
    at.button(key="practice_finish").click().run()
    assert proc.status == "finished"
    assert any("Session finished" in s.value for s in at.success)
    assert metrics(at)["Reps"] == "3"
    assert [getattr(b, "label", None) for b in at.get("download_button")] == [
        "Download session report (JSON)"
    ]
    stream.playing = True  # START again: a new session
    at.run()
    assert proc.status == "waiting" and metrics(at)["Reps"] == "0"


@pytest.mark.parametrize(
    ("exercise", "fps", "warned"),
    [
        # a slow computer during squats: the patient is told the count may miss reps
        ("box_squat", 5, True),
        # the same computer keeping up at 15 a second: nothing to say
        ("box_squat", 15, False),
        # holds are timed as well at 5 frames a second: no warning for a stretch
        ("supine_figure_four_stretch", 5, False),
    ],
)
def test_a_computer_too_slow_to_count_is_named(
    stream: FakeStream, exercise: str, fps: int, warned: bool
) -> None:
    stream.playing = True
    at = app()
    at.query_params["exercise"] = exercise
    at.run()
    proc = processor(at)
    for i in range(5 * fps):
        proc.process(BLACK, i / fps)
    at.run()
    assert not at.exception
    slow = [w.value for w in at.warning if "frames a second, too few" in w.value]
    assert bool(slow) is warned, [w.value for w in at.warning]
    if warned:
        assert "checking only 5 frames a second" in slow[0]


class _UnreadableFrame:
    """A camera frame whose picture cannot be read (``to_ndarray`` raises)."""

    time = 3.0

    def to_ndarray(self, format: str) -> None:
        raise ValueError("unreadable frame")


def practising(stream: FakeStream, seconds: float) -> tuple[AppTest, LiveProcessor]:
    """The Practice page with its camera playing and ``seconds`` of the squatter analysed."""
    stream.playing = True
    at = app().run()
    proc = processor(at)
    for i in range(round(seconds * FPS)):
        proc.process(BLACK, i / FPS)
    return at, proc


def test_frames_that_could_not_be_checked_are_named(stream: FakeStream) -> None:
    # Frames that raised went back unannotated; the patient is told the count may miss a rep.
    at, proc = practising(stream, 2.0)
    at.run()
    assert not [w.value for w in at.warning if "could not check" in w.value]
    for _ in range(2):
        run_coroutine(proc.process_newest([_UnreadableFrame()]))  # type: ignore[list-item]
    at.run()
    assert not at.exception
    failed = [w.value for w in at.warning if "could not check" in w.value]
    assert failed and "could not check 2 frame(s)" in failed[0], [w.value for w in at.warning]
    # ... and the set's summary says it too (STOP, then finish).
    stream.playing = False
    at.run()
    at.button(key="practice_finish").click().run()
    assert not at.exception
    ended = [w.value for w in at.warning if "could not be checked" in w.value]
    assert ended and ended[0].startswith("2 frame(s) of this set"), [w.value for w in at.warning]


def test_stop_this_hurts(stream: FakeStream) -> None:
    at, proc = practising(stream, 5.0)
    at.button(key="practice_pain").click().run()
    assert not at.exception
    assert proc.status == "stopped_for_pain"
    assert stream.calls[-1]["desired_playing"] is False, "the camera is turned off in that run"
    assert any("You stopped because it hurt" in e.value for e in at.error)
    summary = proc.summary()
    assert summary is not None and summary.report["stopped_for_pain"] is True
    assert at.button(key="practice_pain").disabled
    at.button(key="practice_new").click().run()
    assert proc.status == "waiting"
    assert stream.calls[-1]["desired_playing"] is None


def test_spoken_cue_is_embedded_once_per_cue(stream: FakeStream) -> None:
    stream.playing = True
    at = app().run()
    proc = processor(at)
    proc._backend = FakeBackend(person=False)
    for i in range(FPS):  # a second with nobody in view: long enough to be said
        proc.process(BLACK, i / FPS)
    at.run()
    frames = at.get("iframe")
    assert len(frames) == 1
    assert any("Step into the picture" in w.value for w in at.warning)
    at.toggle(key="practice_speak").set_value(False).run()
    assert not at.get("iframe")


def test_without_a_live_server_the_seam_explains_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real seam this time: under AppTest there is no browser session to stream with.
    monkeypatch.setattr(practice_page, "model_path_or_none", lambda: (Path("fake.task"), None))
    monkeypatch.setattr(practice_page, "live_backend", lambda _path: FakeBackend())
    at = app().run()
    assert not at.exception
    assert not webrtc.live_server()
    assert any("The camera needs the app served in a browser" in i.value for i in at.info)
    assert metrics(at)["Reps"] == "0"
