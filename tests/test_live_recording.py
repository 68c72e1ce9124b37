"""The optional video of a practice set: the writer, the processor's frame sink, the files'
place and life (kept with a saved set, deleted with it or when the set is left unsaved,
leftovers of a crash removed), and the Practice page's switch under AppTest.

Every test keeps its files in a throwaway folder: the conftest's data folder, or the folder of
the SQLite file the test names through ``FORMCHECK_DB``.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from formcheck.history.database import data_folder
from formcheck.history.records import Patient
from formcheck.history.store import HistoryStore
from formcheck.report.stills import frame_at
from formcheck.specs.loader import load_spec
from formcheck.ui import history_hooks, practice_page, recording
from formcheck.ui import patient as patient_ui
from formcheck.ui.live import LiveProcessor
from formcheck.ui.recording import (
    PARTIAL_SUFFIX,
    FrameRecorder,
    new_recording_path,
    recordings_folder,
    remove_leftovers,
)
from formcheck.ui.review import markdown_literal
from tests.support.live import FPS, FakeBackend, FakeStream

W, H = 640, 480
# Well apart in colour, so that a neighbouring frame can never pass for the one asked about.
COLOURS = [
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (255, 255, 255),
    (0, 0, 0),
]
BLACK = np.zeros((H, W, 3), np.uint8)


def solid(i: int) -> np.ndarray:
    return np.full((H, W, 3), COLOURS[i % len(COLOURS)], np.uint8)


def nearest_colour(pixel: np.ndarray) -> int:
    """The index in :data:`COLOURS` closest to ``pixel``."""
    distances = [np.abs(pixel.astype(int) - np.array(c)).sum() for c in COLOURS]
    return int(np.argmin(distances))


def decoded_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        frames = list(container.decode(stream))
        assert all(f.pts is not None for f in frames)
        return [float((f.pts or 0) * stream.time_base) for f in frames]


def record(path: Path, times: list[float], frames: list[np.ndarray] | None = None) -> Path:
    """Write ``frames`` (default: solid colours by index) at ``times``; return the kept file."""
    recorder = FrameRecorder(path, queue_frames=len(times) + 1)
    for i, t_s in enumerate(times):
        recorder.write(t_s, frames[i] if frames is not None else solid(i))
    kept = recorder.keep()
    assert recorder.dropped == 0 and recorder.written == len(times)
    return kept


# -- where the files go ---------------------------------------------------------------------------


def test_recordings_default_to_the_throwaway_data_folder() -> None:
    # The conftest's session fixture moved the user data folder; a recording must follow it.
    throwaway = Path(os.environ["XDG_DATA_HOME"])
    assert "FORMCHECK_DB" not in os.environ
    assert recordings_folder().is_relative_to(throwaway)
    assert not recordings_folder().is_relative_to(Path.home() / ".local" / "share")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scenario: a SQLite file elsewhere keeps its recordings next to it
        ("sqlite:///{tmp}/clinic/history.sqlite3", "{tmp}/clinic"),
        # scenario: a database server: the user's data folder
        ("postgresql://someone@db.example:5432/formcheck", "{data}/formcheck"),
        # scenario: an in-memory database has no folder: the user's data folder
        ("sqlite://", "{data}/formcheck"),
        ("sqlite:///:memory:", "{data}/formcheck"),
        # scenario: not a URL at all: the user's data folder, no exception
        ("not a url", "{data}/formcheck"),
    ],
)
def test_data_folder(url: str, expected: str, tmp_path: Path) -> None:
    data = os.environ["XDG_DATA_HOME"]
    assert data_folder(url.format(tmp=tmp_path)) == Path(expected.format(tmp=tmp_path, data=data))


def test_recording_folders_and_file_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    path = new_recording_path(7, url)
    assert path.parent == tmp_path / "recordings" / "7"
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}\.mp4", path.name), path.name
    for folder in (path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    recorder = FrameRecorder(path)
    recorder.write(0.0, BLACK)
    partial = recorder.close()
    assert partial == path.with_name(path.name + PARTIAL_SUFFIX)
    assert stat.S_IMODE(partial.stat().st_mode) == 0o600
    assert not path.exists(), "the final name appears only when a saved set lists the file"
    recorder.keep()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not partial.exists()
    assert new_recording_path(7, url) != path, "every recording gets a name of its own"


def test_a_loose_folder_is_made_private(tmp_path: Path) -> None:
    loose = tmp_path / "recordings"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    new_recording_path(1, f"sqlite:///{tmp_path / 'history.sqlite3'}")
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


# -- the writer ------------------------------------------------------------------------------------

TIME_SCENARIOS = [
    # scenario: a steady 30 fps camera, every frame analysed
    [i / 30 for i in range(60)],
    # scenario: the model was busy: uneven steps, some long
    [0.0, 0.07, 0.1, 0.31, 0.32, 0.9, 0.95, 1.6, 1.61, 2.0],
    # scenario: the camera went off and on: session time stood still, the next frame 1 ms on
    [0.0, 1 / 15, 2 / 15, 2 / 15 + 0.001, 2 / 15 + 0.001 + 1 / 15, 2 / 15 + 0.001 + 2 / 15],
    # scenario: a long set: times well past a minute keep their precision
    [0.0, 95.5, 95.501, 200.25],
]


@pytest.mark.parametrize("times", TIME_SCENARIOS)
def test_the_file_shows_each_frame_at_its_session_time(times: list[float], tmp_path: Path) -> None:
    path = record(tmp_path / "set.mp4", times)
    decoded = decoded_times(path)
    assert len(decoded) == len(times)
    assert decoded == pytest.approx(times, abs=1 / 90_000)


def test_frame_at_on_a_recording_shows_the_frame_written_then(tmp_path: Path) -> None:
    times = [0.0]
    rng = np.random.default_rng(3)
    for _ in range(40):
        times.append(times[-1] + float(rng.uniform(0.002, 0.3)))
    path = record(tmp_path / "set.mp4", times)
    # Asked for exactly a frame's time, or just after the one before, frame_at shows that frame.
    for i in (0, 1, 7, 8, 20, 33, 40):
        for t_s in (times[i], times[i - 1] + 0.0005 if i else 0.0):
            still = frame_at(path, t_s)
            assert still is not None
            centre = still[still.shape[0] // 2, still.shape[1] // 2]
            assert nearest_colour(centre) == i % len(COLOURS), (i, t_s, centre)
    assert frame_at(path, times[-1] + 1.0) is None, "after the recording's end there is no frame"


def test_an_odd_sized_frame_is_recorded_at_even_sides(tmp_path: Path) -> None:
    odd = np.full((241, 321, 3), 200, np.uint8)
    path = record(tmp_path / "odd.mp4", [0.0, 0.1], [odd, odd])
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)


def test_a_full_queue_drops_frames_instead_of_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = threading.Event()
    release = threading.Event()
    real_add = recording._Mp4.add

    def slow_add(self: Any, t_s: float, rgb: np.ndarray) -> None:
        stuck.set()
        release.wait(timeout=30)  # an encoder that cannot keep up
        real_add(self, t_s, rgb)

    monkeypatch.setattr(recording._Mp4, "add", slow_add)
    recorder = FrameRecorder(tmp_path / "set.mp4", queue_frames=4)
    recorder.write(0.0, BLACK)
    assert stuck.wait(timeout=10), "the writer thread took the first frame"
    started = time.perf_counter()
    for i in range(1, 51):
        recorder.write(i / 30, BLACK)
    waited_s = time.perf_counter() - started
    assert waited_s < 0.5, f"50 writes took {waited_s:.2f} s: the caller waited for the encoder"
    assert recorder.dropped == 50 - 4
    release.set()
    assert recorder.close() is not None
    assert recorder.written == 1 + 4
    assert len(decoded_times(recorder.partial_path)) == 5
    recorder.discard()


def test_closing_twice_and_discarding_twice_are_safe(tmp_path: Path) -> None:
    recorder = FrameRecorder(tmp_path / "set.mp4")
    for i in range(3):
        recorder.write(i / 30, BLACK)
    first = recorder.close()
    assert first is not None and first.exists()
    assert recorder.close() == first
    recorder.write(1.0, BLACK)  # a frame after the end is ignored, without an error
    assert recorder.written == 3
    recorder.discard()
    recorder.discard()
    assert not first.exists() and not recorder.path.exists()


def test_a_kept_file_survives_discard_and_a_recorder_without_frames_leaves_nothing(
    tmp_path: Path,
) -> None:
    kept = FrameRecorder(tmp_path / "kept.mp4")
    kept.write(0.0, BLACK)
    path = kept.keep()
    assert kept.keep() == path, "keeping twice is one rename"
    kept.discard()
    assert path.exists(), "a file a saved set lists is never deleted by discard"

    empty = FrameRecorder(tmp_path / "empty.mp4")
    assert empty.close() is None
    with pytest.raises(OSError, match="no frame was recorded"):
        empty.keep()
    empty.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.mp4"]


def test_a_dropped_recorder_deletes_its_file(tmp_path: Path) -> None:
    # A browser session that ends mid-set drops its recorder with it.
    recorder = FrameRecorder(tmp_path / "set.mp4")
    recorder.write(0.0, BLACK)
    partial = recorder.partial_path
    deadline = time.monotonic() + 10
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert partial.exists()
    del recorder
    assert not partial.exists()


# -- leftovers of a crash --------------------------------------------------------------------------


def _age(path: Path, seconds: float = 3600) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old), follow_symlinks=False)


def test_leftovers_are_removed_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    anna = root / "1"
    anna.mkdir(parents=True)
    outside = tmp_path / "elsewhere.mp4.partial"
    outside.write_bytes(b"not ours")
    files = {
        # scenario: an hour-old partial nobody holds (a crash): removed
        "abandoned": anna / "a.mp4.partial",
        # scenario: a partial written a moment ago may not be locked yet: kept
        "fresh": anna / "b.mp4.partial",
        # scenario: a kept recording a saved set lists: kept
        "kept": anna / "c.mp4",
        # scenario: a partial in the recordings folder itself, not a patient's: kept
        "loose": root / "d.mp4.partial",
        # scenario: a link named like a partial: neither followed nor removed
        "link": anna / "e.mp4.partial",
    }
    for name, path in files.items():
        if name == "link":
            path.symlink_to(outside)
        else:
            path.write_bytes(b"x")
        if name != "fresh":
            _age(path)
    # scenario: a set being recorded now (in this process, like another tab): kept
    busy = FrameRecorder(anna / "f.mp4")
    busy.write(0.0, BLACK)
    deadline = time.monotonic() + 10
    while busy.written == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    _age(busy.partial_path)
    # scenario: a patient "folder" that is a link to somewhere else: not entered
    (root / "2").symlink_to(tmp_path, target_is_directory=True)
    _age(outside)

    removed = remove_leftovers(root)

    assert removed == [files["abandoned"]]
    assert not files["abandoned"].exists()
    for name in ("fresh", "kept", "loose"):
        assert files[name].exists(), name
    assert files["link"].is_symlink() and outside.read_bytes() == b"not ours"
    assert busy.partial_path.exists()
    assert busy.close() is not None, "the busy recording is intact"
    busy.discard()
    assert remove_leftovers(tmp_path / "no such folder") == []


CRASH = """
import os, sys
import numpy as np
from pathlib import Path
from formcheck.ui.recording import FrameRecorder
recorder = FrameRecorder(Path(sys.argv[1]))
for i in range(10):
    recorder.write(i / 30, np.zeros((480, 640, 3), np.uint8))
while recorder.written < 10:
    pass
print(recorder.partial_path, flush=True)
os._exit(1)  # killed mid-set: no close, no finalizer
"""


def test_a_set_cut_short_by_a_crash_leaves_a_partial_that_a_later_run_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "recordings"
    (root / "1").mkdir(parents=True)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, str(root / "1" / "set.mp4")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == 1, crashed.stderr
    partial = Path(crashed.stdout.strip())
    assert partial.exists() and partial.name == "set.mp4" + PARTIAL_SUFFIX
    assert remove_leftovers(root) == [], "too fresh to tell from a set just starting"
    monkeypatch.setattr(recording, "LEFTOVER_MIN_AGE_S", 0.0)
    assert remove_leftovers(root) == [partial]
    assert not partial.exists()


# -- the processor's frame sink --------------------------------------------------------------------


def test_the_sink_gets_each_analysed_camera_frame_at_its_session_time() -> None:
    model = FakeBackend()
    proc = LiveProcessor(load_spec("box_squat"), model)
    got: list[tuple[float, np.ndarray]] = []
    assert proc.record_to(lambda t_s, rgb: got.append((t_s, rgb)))
    frames = [solid(i) for i in range(6)]
    raw = [100.0, 100.1, 100.2, 5.0, 5.1, 5.2]  # the camera turned off and on after the third
    for i, (frame, t_raw) in enumerate(zip(frames, raw, strict=True)):
        if i == 3:
            proc.pause()
        out = proc.process(frame, t_raw)
        assert out is not frame
    assert [t for t, _ in got] == pytest.approx([0.0, 0.1, 0.2, 0.201, 0.301, 0.401])
    assert [t for t, _ in got] == pytest.approx(model.times), "the model's clock"
    for i, ((_, rgb), frame) in enumerate(zip(got, frames, strict=True)):
        assert rgb is frame, "the raw camera frame, not the overlay"
        assert np.array_equal(rgb, solid(i)), "left unchanged"

    # scenario: once a frame was analysed, a new sink would miss the start: refused
    assert not proc.record_to(lambda t_s, rgb: None)
    # scenario: detaching is always allowed
    assert proc.record_to(None) and proc.frame_sink is None
    proc.process(BLACK, 5.3)
    assert len(got) == 6

    # scenario: a reset starts an unrecorded session
    assert proc.record_to(None)
    proc.reset()
    assert proc.record_to(lambda t_s, rgb: got.append((t_s, rgb)))
    proc.reset()
    assert proc.frame_sink is None
    proc.process(BLACK, 0.0)
    assert len(got) == 6

    # scenario: an ended session analyses nothing, so records nothing
    sink: list[float] = []
    proc.reset()
    proc.record_to(lambda t_s, rgb: sink.append(t_s))
    proc.process(BLACK, 0.0)
    proc.finish()
    proc.process(BLACK, 0.1)
    assert sink == [0.0]


def test_a_recorded_set_gives_stills_at_the_times_of_its_result(tmp_path: Path) -> None:
    """The whole chain: session times from the processor, through the file, to the report's
    ``frame_at`` at a rep's time from the set's result (with a pause, so raw time differs)."""
    proc = LiveProcessor(load_spec("box_squat"), FakeBackend())
    recorder = FrameRecorder(tmp_path / "set.mp4", queue_frames=12 * FPS)
    assert proc.record_to(recorder.write)
    frames_s: list[float] = []
    n = 12 * FPS
    for i in range(n):
        if i == n // 2:
            proc.pause()  # camera off and on half-way: the raw clock jumps, session time not
        raw = 50.0 + i / FPS + (30.0 if i >= n // 2 else 0.0)
        proc.process(solid(i), raw)
        frames_s.append(proc.snapshot().t_s)
    summary = proc.finish()
    assert summary is not None
    path = recorder.keep()
    assert recorder.dropped == 0
    reps = summary.report["reps"]["events"]
    assert len(reps) == 3
    for rep in reps:
        for t_s in (rep["start_s"], rep["end_s"]):
            index = next(i for i, f in enumerate(frames_s) if f >= t_s - 1e-9)
            still = frame_at(path, t_s)
            assert still is not None
            assert nearest_colour(still[100, 100]) == index % len(COLOURS), (t_s, index)


# -- the Practice page -----------------------------------------------------------------------------

SCRIPT = (
    "from formcheck.ui import patient\npatient.sidebar()\n"
    "from formcheck.ui.practice_page import render\nrender()\n"
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'history.sqlite3'}"
    monkeypatch.setenv("FORMCHECK_DB", url)
    return url


@pytest.fixture
def anna(db: str) -> Patient:
    with HistoryStore(db) as s:
        return s.add_patient("Anna K")


@pytest.fixture
def camera(monkeypatch: pytest.MonkeyPatch) -> FakeStream:
    fake = FakeStream()
    monkeypatch.setattr(practice_page.webrtc, "start_camera_stream", fake)
    monkeypatch.setattr(practice_page, "model_path_or_none", lambda: (Path("fake.task"), None))
    monkeypatch.setattr(practice_page, "live_backend", lambda _path: FakeBackend())
    return fake


def page(patient: Patient | None = None) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=60).run()
    if patient is not None:
        at.sidebar.selectbox(key=patient_ui.CHOICE_KEY).set_value(patient.id).run()
    assert not at.exception
    return at


def switch(at: AppTest, patient: Patient) -> Any:
    return at.toggle(key=f"{practice_page.RECORD_KEY}_{patient.id}")


def texts(elements: Any) -> str:
    return "\n".join(e.value for e in elements)


def squats(at: AppTest, camera: FakeStream, seconds: float = 12) -> LiveProcessor:
    """START, then the camera's frames as streamlit-webrtc's worker thread hands them over."""
    camera.playing = True
    at.run()
    proc: LiveProcessor = at.session_state[practice_page.PROCESSOR_KEY]
    for i in range(round(seconds * FPS)):
        proc.process(BLACK, i / FPS)
    return proc


def files_in(db: str) -> list[Path]:
    root = recordings_folder(db)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def recorded_set(at: AppTest, camera: FakeStream, anna: Patient) -> tuple[LiveProcessor, Path]:
    switch(at, anna).set_value(True).run()
    proc = squats(at, camera)
    proc.finish()
    at.run()
    assert not at.exception
    rec = at.session_state[practice_page.RECORDING_KEY]
    return proc, rec.recorder.path


def test_without_a_patient_there_is_no_switch_and_no_recording(db: str, camera: FakeStream) -> None:
    at = page()
    assert not any(t.key and t.key.startswith(practice_page.RECORD_KEY) for t in at.toggle)
    assert "choose your profile in the sidebar first" in texts(at.caption)
    assert "is not recorded or sent anywhere" in texts(at.caption)
    proc = squats(at, camera)
    assert proc.frame_sink is None
    proc.finish()
    at.run()
    assert files_in(db) == []


def test_the_switch_is_off_by_default_and_says_what_it_does(
    db: str, anna: Patient, camera: FakeStream
) -> None:
    at = page(anna)
    toggle = switch(at, anna)
    assert toggle.value is False and toggle.label == "Record my video of this set"
    assert "on this computer only" in toggle.help and "deleted with it" in toggle.help
    assert "is not recorded or sent anywhere" in texts(at.caption)
    proc = squats(at, camera)
    proc.finish()
    at.run()
    assert "Saved to Anna K's history." in texts(at.caption)
    assert "Recorded:" not in texts(at.caption)
    with HistoryStore(db) as s:
        (saved,) = s.sessions(anna.id)
    assert saved.recording_path is None and files_in(db) == []


@pytest.mark.parametrize("delete_with", ["cli", "sidebar"])
def test_a_recorded_set_is_saved_with_its_video_and_deleted_with_the_patient(
    db: str, anna: Patient, camera: FakeStream, delete_with: str
) -> None:
    at = page(anna)
    switch(at, anna).set_value(True).run()
    assert "listed with the set in your history and deleted with it" in texts(at.caption)
    assert "analysed and recorded on this computer" in texts(at.caption)
    proc = squats(at, camera)
    assert proc.frame_sink is not None
    proc.finish()
    at.run()
    assert not at.exception
    recorder: FrameRecorder = at.session_state[practice_page.RECORDING_KEY].recorder
    path = recorder.path
    assert f"Recorded: {markdown_literal(path.name)}" in texts(at.caption)
    assert path.parent == recordings_folder(db) / str(anna.id)
    with HistoryStore(db) as s:
        (saved,) = s.sessions(anna.id)
    assert saved.recording_path == str(path.resolve())
    assert files_in(db) == [path], "the final name only, no partial left"
    times = decoded_times(path)
    assert len(times) == recorder.written == 12 * FPS - recorder.dropped
    # Each frame at the session time it was analysed at (frame i at i / FPS); the first one
    # always gets in, later ones may have been skipped while the encoder was busy.
    assert times[0] == 0.0
    assert all(abs(t * FPS - round(t * FPS)) < 1e-3 for t in times)

    at.run()  # the summary stays on screen: nothing saved twice, the file stays
    with HistoryStore(db) as s:
        assert len(s.sessions(anna.id)) == 1
    assert path.exists()

    if delete_with == "cli":
        command = [sys.executable, "-m", "formcheck.cli", "history", "delete"]
        deleted = subprocess.run(
            [*command, "--patient", "Anna K", "--yes"],
            capture_output=True,
            text=True,
            env={**os.environ, "FORMCHECK_DB": db},
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        assert deleted.returncode == 0, deleted.stderr
        assert deleted.stdout.strip() == f"deleted Anna K (id {anna.id}): 1 sessions, 1 recordings"
    else:
        at.sidebar.checkbox(key=patient_ui.CONFIRM_KEY).check().run()
        at.sidebar.button(key="patient_delete").click().run()
        assert not at.exception
        done = f"Deleted Anna K (id {anna.id}): 1 saved sessions and 1 recordings."
        assert done in texts(at.sidebar.success)
    assert not path.exists() and files_in(db) == []


def _fail_saving(monkeypatch: pytest.MonkeyPatch) -> None:
    from formcheck.history.errors import HistoryError

    def disk_full(self: HistoryStore, *args: Any, **kwargs: Any) -> int:
        raise HistoryError("cannot write to the history database: database or disk is full")

    monkeypatch.setattr(HistoryStore, "save_session", disk_full)


def test_a_failed_save_keeps_the_video_for_the_retry(
    db: str, anna: Patient, camera: FakeStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(anna)
    real = HistoryStore.save_session
    _fail_saving(monkeypatch)
    _, path = recorded_set(at, camera, anna)
    assert "could not be saved to Anna K's history" in texts(at.warning)
    assert files_in(db) == [path.with_name(path.name + PARTIAL_SUFFIX)], "waits as a partial"
    monkeypatch.setattr(recording, "LEFTOVER_MIN_AGE_S", 0.0)
    assert remove_leftovers(recordings_folder(db)) == [], "and no sweep takes it meanwhile"
    monkeypatch.setattr(HistoryStore, "save_session", real)
    at.button(key=f"{history_hooks.PRACTICE_KEY}_retry").click().run()
    assert f"Recorded: {markdown_literal(path.name)}" in texts(at.caption)
    with HistoryStore(db) as s:
        (saved,) = s.sessions(anna.id)
    assert saved.recording_path == str(path.resolve()) and files_in(db) == [path]


def _new_session(at: AppTest) -> None:
    at.button(key="practice_new").click().run()


def _other_exercise(at: AppTest) -> None:
    at.selectbox(key="practice_exercise").set_value("glute_bridge").run()


def _switch_off(at: AppTest, anna: Patient) -> None:
    switch(at, anna).set_value(False).run()


def _patient_deleted(at: AppTest) -> None:
    at.sidebar.checkbox(key=patient_ui.CONFIRM_KEY).check().run()
    at.sidebar.button(key="patient_delete").click().run()


DISCARD_SCENARIOS = [
    # (when, what the patient does, saving fails)
    # scenario: the save failed, then a new session: the video no saved set lists goes
    ("ended", _new_session, True),
    # scenario: the save failed, then another exercise
    ("ended", _other_exercise, True),
    # scenario: mid-set, the exercise is changed: the set is dropped, and its video
    ("mid-set", _other_exercise, False),
    # scenario: mid-set, the patient switches recording off
    ("mid-set", _switch_off, False),
    # scenario: mid-set, the patient's data is deleted in the sidebar: no patient chosen any more
    ("mid-set", _patient_deleted, False),
]


@pytest.mark.parametrize(("when", "action", "save_fails"), DISCARD_SCENARIOS)
def test_a_recording_no_saved_set_lists_is_deleted(
    db: str,
    anna: Patient,
    camera: FakeStream,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
    action: Any,
    save_fails: bool,
) -> None:
    at = page(anna)
    if save_fails:
        _fail_saving(monkeypatch)
    switch(at, anna).set_value(True).run()
    proc = squats(at, camera, seconds=4)
    recorder: FrameRecorder = at.session_state[practice_page.RECORDING_KEY].recorder
    if when == "ended":
        proc.finish()
        at.run()
        assert recorder.close() is not None
    else:
        deadline = time.monotonic() + 10
        while not recorder.partial_path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert files_in(db) == [recorder.partial_path]
    if action is _switch_off:
        action(at, anna)
    else:
        action(at)
    assert not at.exception
    assert files_in(db) == []
    assert proc.frame_sink != recorder.write
    with HistoryStore(db) as s:
        assert all(x.recording_path is None for x in s.sessions(anna.id))


def test_a_set_that_began_unrecorded_is_not_recorded_half_way(
    db: str, anna: Patient, camera: FakeStream
) -> None:
    at = page(anna)
    proc = squats(at, camera, seconds=2)
    switch(at, anna).set_value(True).run()
    assert "Recording starts with your next set" in texts(at.caption)
    assert proc.frame_sink is None
    proc.finish()
    at.run()
    assert files_in(db) == []
    _new_session(at)  # the switch is still on: the next set is recorded from its first frame
    assert proc.frame_sink is not None


def test_each_patient_has_a_switch_of_their_own(db: str, anna: Patient, camera: FakeStream) -> None:
    with HistoryStore(db) as s:
        ben = s.add_patient("Ben")
    at = page(anna)
    switch(at, anna).set_value(True).run()
    at.sidebar.selectbox(key=patient_ui.CHOICE_KEY).set_value(ben.id).run()
    assert switch(at, ben).value is False, "Anna's choice does not record Ben"
    proc: LiveProcessor = at.session_state[practice_page.PROCESSOR_KEY]
    assert proc.frame_sink is None


def test_a_video_that_cannot_be_written_is_said_and_leaves_nothing(
    db: str, anna: Patient, camera: FakeStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recording, "CODEC", "no-such-codec")  # an encoder this FFmpeg lacks
    at = page(anna)
    recorded_set(at, camera, anna)
    assert "The video of this set could not be recorded: no\\-such\\-codec." in texts(at.warning)
    assert "Saved to Anna K's history." in texts(at.caption), "the set itself is saved"
    assert "Recorded:" not in texts(at.caption)
    with HistoryStore(db) as s:
        (saved,) = s.sessions(anna.id)
    assert saved.recording_path is None
    _new_session(at)
    assert files_in(db) == []


def test_start_after_a_finished_set_records_the_next_set_from_its_first_frame(
    db: str, anna: Patient, camera: FakeStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    # scenario: the switch is turned on while the last set's summary is on screen, then START;
    # the camera's first frame comes in the moment the new set begins, before the page has
    # gone on (streamlit-webrtc's thread does not wait for the script)
    at = page(anna)
    proc = squats(at, camera)
    camera.playing = False  # STOP
    at.run()
    proc.finish()
    at.run()
    switch(at, anna).set_value(True).run()
    assert files_in(db) == [], "nothing is recorded while the summary shows"
    reset = proc.reset

    def reset_then_a_frame(*args: Any, **kwargs: Any) -> None:
        reset(*args, **kwargs)
        proc.process(BLACK, 0.0)

    monkeypatch.setattr(proc, "reset", reset_then_a_frame)
    camera.playing = True  # START
    at.run()
    assert not at.exception
    assert proc.snapshot().frames == 1 and proc.frame_sink is not None
    assert "Recording starts with your next set" not in texts(at.caption)
    for i in range(1, round(12 * FPS)):
        proc.process(BLACK, i / FPS)
    proc.finish()
    at.run()
    with HistoryStore(db) as s:
        first, second = s.sessions(anna.id)
    assert first.recording_path is None and second.recording_path is not None
    assert decoded_times(Path(second.recording_path))[0] == pytest.approx(0.0, abs=1e-3)
