"""Review page under AppTest (rendering, bad uploads, a real analysis) and its helpers."""

from __future__ import annotations

import csv
import io
import math
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from streamlit.runtime.caching import clear_session_resource_cache
from streamlit.testing.v1 import AppTest

from formcheck.analyze import Analysis, replay_series
from formcheck.landmarks import LandmarkSeries, PoseFrame
from formcheck.specs.loader import load_spec
from formcheck.ui import review_page, uploads
from formcheck.ui.plots import timeline_figure
from formcheck.ui.review import (
    MAX_UPLOAD_MB,
    fault_rows,
    frames_csv,
    hold_rows,
    hold_totals,
    list_samples,
    markdown_literal,
    not_assessed,
    rep_rows,
    signal_label,
    signal_number,
    upload_problem,
)
from formcheck.ui.uploads import (
    FOLDER_PREFIX,
    UploadTooLarge,
    new_private_folder,
    registered_folders,
    remove_all,
    remove_folder,
    save_clip,
    sweep,
    sweep_abandoned,
)
from tests.factories import side_view_squat_frame
from tests.support.goldens import LANDMARKS_DIR
from tests.support.live import FPS, squat_knee_deg
from tests.support.paths import CLIPS_DIR, SAMPLE_CLIP

PAGE = "from formcheck.ui.review_page import render\nrender()\n"
SQUAT_CLIP = CLIPS_DIR / "squat_barbell_back_side.mp4"
# A file name that, rendered as Markdown, makes the browser fetch an outside address.
IMAGE_LINK_NAME = "![x](https:example.org).mp4"


def end_all_sessions() -> None:
    """What the server does when a browser session disconnects, for every session with a folder."""
    for owner in set(registered_folders().values()):
        clear_session_resource_cache(owner)
    remove_all()


def shown(markdown: str) -> str:
    """What a reader sees of a Markdown body whose punctuation is backslash-escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture
def no_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "samples"
    folder.mkdir()
    monkeypatch.setenv("FORMCHECK_SAMPLES_DIR", str(folder))
    # Uploads go to the temporary folder; keep this test's out of the real one.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # AppTest gives every page the same session id, so each test starts and ends its session.
    end_all_sessions()
    yield folder
    end_all_sessions()


def upload_folders(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.name.startswith(FOLDER_PREFIX))


def page() -> AppTest:
    return AppTest.from_string(PAGE, default_timeout=60)


def test_renders_without_samples(no_samples: Path) -> None:
    at = page().run()
    assert not at.exception
    assert at.title[0].value == "Review a recording"
    assert any("No sample clips" in c.value for c in at.caption)
    assert len(at.file_uploader) == 1
    assert not at.radio, "no sample/upload choice when there are no samples"
    assert not at.button, "nothing to analyse before a clip is chosen"


@pytest.mark.parametrize(
    ("name", "size", "problem"),
    [
        ("squat.mp4", 5_000_000, None),
        ("SQUAT.MOV", 5_000_000, None),
        ("squat.mkv", MAX_UPLOAD_MB * 1024 * 1024, None),
        ("squat.mp4", MAX_UPLOAD_MB * 1024 * 1024 + 1, "squat.mp4 is 200 MB; the limit is 200 MB."),
        ("squat.mp4", 0, "squat.mp4 is empty (0 bytes)."),
        ("squat", 10, "squat has no file extension"),
        ("squat.gif", 10, "squat.gif is a .gif file"),
    ],
)
def test_upload_problem(name: str, size: int, problem: str | None) -> None:
    found = upload_problem(name, size)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


# -- bad uploads: one message on the page, never a traceback ------------------------------------


def audio_only_mp4() -> bytes:
    """An MP4 holding a short silent sound track and no picture."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=8000, layout="mono")
        for _ in range(5):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate = 8000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def faststart_copy(source: Path, out: Path) -> Path:
    """``source`` remuxed with its index first, so a cut copy still opens and decodes."""
    with (
        av.open(str(source)) as inp,
        av.open(str(out), "w", options={"movflags": "faststart"}) as dst,
    ):
        video = inp.streams.video[0]
        stream = dst.add_stream_from_template(video)
        for packet in inp.demux(video):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    return out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # text saved under a video extension
        (
            "notes.mp4",
            lambda: b"this is a shopping list",
            "This file cannot be analysed: notes.mp4 is not a readable video",
        ),
        # the first 4 KB of a real clip: the index at its end is missing
        (
            "cut.mp4",
            lambda: SAMPLE_CLIP.read_bytes()[:4096],
            "This file cannot be analysed: cut.mp4 is not a readable video",
        ),
        # a sound track and no picture
        (
            "voice.mp4",
            audio_only_mp4,
            "This file cannot be analysed: voice.mp4 has no video stream",
        ),
        # nothing in it
        ("empty.mp4", lambda: b"", "empty.mp4 is empty (0 bytes)."),
        # a photo
        (
            "knee.jpg",
            lambda: b"\xff\xd8\xff",
            "knee.jpg is a .jpg file; upload a video file (mp4, mov, webm, avi, mkv).",
        ),
        # a name that is a Markdown image link: shown as written, never as an image
        (
            IMAGE_LINK_NAME,
            lambda: b"not a video",
            f"This file cannot be analysed: {IMAGE_LINK_NAME} is not a readable video",
        ),
    ],
)
def test_a_bad_upload_gets_one_message(
    no_samples: Path, name: str, content: Callable[[], bytes], message: str
) -> None:
    at = page().run()
    at.file_uploader[0].set_value((name, content(), "video/mp4")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and shown(errors[0]).startswith(message)
    # The user's file name appears literally, its punctuation escaped from Markdown.
    assert markdown_literal(name) in errors[0]
    assert "Errno" not in errors[0] and str(no_samples.parent) not in shown(errors[0])
    assert not at.button, "nothing to analyse"


def test_an_unexpected_analysis_error_is_one_message(
    no_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the model gave up")

    monkeypatch.setattr(review_page, "model_path_or_none", lambda: (Path("pose.task"), None))
    monkeypatch.setattr(review_page, "analyse_video", broken)
    at = page().run()
    at.file_uploader[0].set_value(("squat.mp4", SAMPLE_CLIP.read_bytes(), "video/mp4")).run()
    at.button(key="review_analyse").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "This file cannot be analysed: the analysis stopped with an unexpected error "
        "(RuntimeError); the details are in the app's log."
    ]


@pytest.mark.slow
def test_a_clip_damaged_part_way_gets_one_message(no_samples: Path) -> None:
    from formcheck.pose.model_store import ModelInstallError, resolve_model

    try:
        resolve_model()
    except ModelInstallError as exc:
        pytest.skip(f"pose model not installed: {exc}")
    whole = faststart_copy(SAMPLE_CLIP, no_samples.parent / "whole.mp4").read_bytes()
    at = page().run()
    # The index comes first, so the cut clip opens and decodes until its frames run out.
    cut = whole[: len(whole) * 6 // 10]
    at.file_uploader[0].set_value(("cut.mp4", cut, "video/mp4")).run()
    assert not at.error, "the first frame decodes, so the clip is accepted at first"
    at.button(key="review_analyse").click().run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1
    assert re.fullmatch(
        r"This file cannot be analysed: cut\.mp4 is truncated: \d+ of 304 frames could be decoded",
        errors[0],
    )
    assert not at.metric


def test_upload_over_the_limit_is_refused_before_anything_is_written(
    no_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_page, "MAX_UPLOAD_MB", 1)
    at = page().run()
    at.file_uploader[0].set_value(("big.mp4", b"x" * (1024 * 1024 + 1), "video/mp4")).run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "big.mp4 is 1 MB; the limit is 1 MB. Trim the clip or export it at a lower resolution."
    ]
    assert upload_folders(no_samples.parent) == []


# -- the upload folder: private, one per session, removed when the session ends -----------------


@pytest.fixture
def registry() -> Iterator[None]:
    """Start and end each test with no registered upload folder."""
    remove_all()
    yield
    remove_all()


def test_upload_goes_to_a_private_folder_of_its_own(no_samples: Path) -> None:
    tmp = no_samples.parent
    at = page().run()
    at.file_uploader[0].set_value(("my knee clip.mp4", b"first", "video/mp4")).run()
    folder = Path(at.session_state["review_upload_dir"])
    first = Path(at.session_state["review_upload_path"])
    assert upload_folders(tmp) == [folder]
    assert not folder.is_symlink() and stat.S_IMODE(folder.lstat().st_mode) == 0o700
    assert first.parent == folder and first.read_bytes() == b"first"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert "my knee clip" not in first.name, "stored under Streamlit's id, not the user's file name"
    # Another clip replaces the first.
    at.file_uploader[0].set_value(("b.mp4", b"second", "video/mp4")).run()
    second = Path(at.session_state["review_upload_path"])
    assert list(folder.iterdir()) == [second] and second.read_bytes() == b"second"
    # Taking the upload away deletes the clip.
    at.file_uploader[0].set_value(None).run()
    assert list(folder.iterdir()) == []
    assert "review_upload_path" not in at.session_state


def test_session_end_removes_the_folder_and_a_reconnect_writes_the_clip_again(
    no_samples: Path,
) -> None:
    at = page().run()
    at.file_uploader[0].set_value(("a.mp4", b"clip", "video/mp4")).run()
    folder = Path(at.session_state["review_upload_dir"])
    (owner,) = set(registered_folders().values())
    clear_session_resource_cache(owner)  # what the server runs when a browser disconnects
    assert not folder.exists() and folder not in registered_folders()
    at.run()  # the session comes back within Streamlit's reconnect window, upload and all
    again = Path(at.session_state["review_upload_path"])
    assert again.read_bytes() == b"clip" and again.parent != folder
    assert stat.S_IMODE(again.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "plant",
    [
        # the old fixed folder name is a symlink to another folder holding an old file
        "symlink",
        # the old fixed folder exists and anyone may write to it
        "world_writable",
    ],
)
def test_a_fixed_path_planted_beforehand_is_never_used(no_samples: Path, plant: str) -> None:
    tmp = no_samples.parent
    victim = tmp / "victim"
    victim.mkdir()
    (victim / "old.mp4").write_bytes(b"keep")
    os.utime(victim / "old.mp4", (0, 0))  # older than any age-based clean-up would keep
    fixed = tmp / "formcheck-uploads"
    if plant == "symlink":
        fixed.symlink_to(victim, target_is_directory=True)
    else:
        fixed.mkdir()
        fixed.chmod(0o777)
    before = sorted(fixed.iterdir())
    at = page().run()
    at.file_uploader[0].set_value(("a.mp4", b"clip", "video/mp4")).run()
    saved = Path(at.session_state["review_upload_path"])
    assert saved.parent.parent == tmp and saved.parent.name.startswith(FOLDER_PREFIX)
    assert sorted(fixed.iterdir()) == before
    assert (victim / "old.mp4").read_bytes() == b"keep"


@pytest.mark.parametrize(
    "umask",
    [
        0o022,  # the usual
        0o000,  # everything allowed by default
        0o077,  # private by default
    ],
)
def test_private_folders_are_fresh_and_0700(tmp_path: Path, registry: None, umask: int) -> None:
    old = os.umask(umask)
    try:
        first = new_private_folder("s1", tmp_path)
        second = new_private_folder("s1", tmp_path)
    finally:
        os.umask(old)
    assert first != second
    for folder in (first, second):
        info = folder.lstat()
        assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
        assert info.st_uid == os.getuid() and list(folder.iterdir()) == []
    assert registered_folders() == {first: "s1", second: "s1"}


def test_a_name_taken_by_a_symlink_is_skipped(
    tmp_path: Path, registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    taken = tmp_path / f"{FOLDER_PREFIX}{os.getpid()}-taken"
    taken.symlink_to(victim, target_is_directory=True)
    # mkdtemp's next candidate names: the planted one first.
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: iter(["taken", "fresh"]))
    folder = new_private_folder("s", tmp_path)
    assert folder == tmp_path / f"{FOLDER_PREFIX}{os.getpid()}-fresh" and not folder.is_symlink()
    assert list(victim.iterdir()) == []


def test_remove_folder_deletes_only_what_is_inside(tmp_path: Path, registry: None) -> None:
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"someone else's")
    folder = new_private_folder("s", tmp_path)
    (folder / "clip.mp4").write_bytes(b"x")
    (folder / "link.mp4").symlink_to(outside)
    (folder / "sub").mkdir()
    (folder / "sub" / "part").write_bytes(b"y")
    remove_folder(folder)
    assert not folder.exists() and folder not in registered_folders()
    assert outside.read_bytes() == b"someone else's"
    remove_folder(folder)  # a second call is harmless


def test_sweep_removes_the_folders_of_ended_sessions(tmp_path: Path, registry: None) -> None:
    live = new_private_folder("live", tmp_path)
    ended = new_private_folder("ended", tmp_path)
    assert sweep(lambda session_id: session_id == "live") == 1
    assert live.is_dir() and not ended.exists()
    assert registered_folders() == {live: "live"}


def test_folders_a_killed_app_left_are_swept_by_the_next(
    tmp_path: Path, registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "_swept", False)  # as in a freshly started app
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from formcheck.ui.uploads import new_private_folder\n"
        "folder = new_private_folder('s', Path(sys.argv[1]))\n"
        "(folder / 'clip.mp4').write_bytes(b'a patient clip')\n"
        "print(folder, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL
    left = Path(killed.stdout.strip())
    assert (left / "clip.mp4").exists()  # kill -9 runs no clean-up
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        running = tmp_path / f"{FOLDER_PREFIX}{sleeper.pid}-abc"  # another app, still running
        running.mkdir(mode=0o700)
        old_unowned = tmp_path / f"{FOLDER_PREFIX}oldname"  # no process id, two days old
        old_unowned.mkdir(mode=0o700)
        os.utime(old_unowned, (time.time() - 2 * 86400,) * 2)
        new_unowned = tmp_path / f"{FOLDER_PREFIX}newname"  # no process id, just made
        new_unowned.mkdir(mode=0o700)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "keep.mp4").write_bytes(b"x")
        link = tmp_path / f"{FOLDER_PREFIX}1-link"  # a link is never followed
        link.symlink_to(elsewhere, target_is_directory=True)
        mine = new_private_folder("s", tmp_path)  # this app's start sweeps once
        assert sorted(sweep_abandoned(tmp_path)) == []  # already done
        assert not left.exists() and not old_unowned.exists()
        assert running.is_dir() and new_unowned.is_dir() and mine.is_dir() and link.is_symlink()
        assert (elsewhere / "keep.mp4").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_folders_are_removed_when_the_app_stops(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from formcheck.ui.uploads import new_private_folder\n"
        "folder = new_private_folder('s', Path(sys.argv[1]))\n"
        "(folder / 'clip.mp4').write_bytes(b'x')\n"
        "print(folder)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    folder = Path(done.stdout.strip())
    assert folder.parent == tmp_path and not folder.exists()


@pytest.mark.parametrize(
    ("size", "max_bytes", "kept"),
    [
        (10, 10, True),  # exactly the limit
        (11, 10, False),  # one byte over
        (3 * 1024 * 1024 + 5, 3 * 1024 * 1024 + 5, True),  # several copy chunks
        (3 * 1024 * 1024 + 6, 3 * 1024 * 1024 + 5, False),  # over, found in a later chunk
    ],
)
def test_save_clip_enforces_the_limit_while_copying(
    tmp_path: Path, registry: None, size: int, max_bytes: int, kept: bool
) -> None:
    folder = new_private_folder("s", tmp_path)
    content = b"v" * size
    if kept:
        path = save_clip(folder, "clip.mp4", io.BytesIO(content), max_bytes)
        assert path.read_bytes() == content and stat.S_IMODE(path.stat().st_mode) == 0o600
    else:
        with pytest.raises(UploadTooLarge):
            save_clip(folder, "clip.mp4", io.BytesIO(content), max_bytes)
        assert list(folder.iterdir()) == []


def test_save_clip_replaces_the_earlier_clip_and_never_writes_through_a_link(
    tmp_path: Path, registry: None
) -> None:
    victim = tmp_path / "victim.mp4"
    victim.write_bytes(b"someone else's")
    folder = new_private_folder("s", tmp_path)
    (folder / "old.mp4").write_bytes(b"old")
    (folder / "new.mp4").symlink_to(victim)
    path = save_clip(folder, "new.mp4", io.BytesIO(b"clip"), 100)
    assert list(folder.iterdir()) == [path]
    assert not path.is_symlink() and path.read_bytes() == b"clip"
    assert victim.read_bytes() == b"someone else's"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        # a plain file name
        ("squat 1.mp4", r"squat 1\.mp4"),
        # an image link: the browser would fetch example.org
        (IMAGE_LINK_NAME, r"\!\[x\]\(https\:example\.org\)\.mp4"),
        # emphasis and a heading mark
        ("# **bold**.mov", r"\# \*\*bold\*\*\.mov"),
        # a line break cannot start a new block
        ("a\n- b.mp4", r"a \- b\.mp4"),
        # a backslash and a Windows path
        ("C:\\clips\\a.mp4", r"C\:\\clips\\a\.mp4"),
        # raw HTML, LaTeX and Streamlit's colour and icon codes
        (
            "<img src=x>$x$:red[a]:material/home:",
            r"\<img src\=x\>\$x\$\:red\[a\]\:material\/home\:",
        ),
    ],
)
def test_markdown_literal(text: str, escaped: str) -> None:
    assert markdown_literal(text) == escaped
    assert shown(escaped) == " ".join(text.splitlines())


def test_samples_are_offered_when_present(no_samples: Path) -> None:
    (no_samples / "b_squat.mp4").write_bytes(b"x")
    (no_samples / "a_bridge.MOV").write_bytes(b"x")
    (no_samples / "notes.txt").write_text("not a video")
    (no_samples / ".hidden.mp4").write_bytes(b"x")
    assert [p.name for p in list_samples(no_samples)] == ["a_bridge.MOV", "b_squat.mp4"]
    assert list_samples(no_samples / "absent") == []
    at = page().run()
    assert not at.exception
    assert at.radio[0].value == "Use a sample video"
    chosen = at.selectbox(key="review_sample").value
    assert chosen is not None and chosen.name == "a_bridge.MOV"


@pytest.mark.slow
def test_analyses_a_sample_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SQUAT_CLIP.exists():
        pytest.skip(f"real clips not available: {SQUAT_CLIP} is absent")
    from formcheck.pose.model_store import ModelInstallError, resolve_model

    try:
        resolve_model()
    except ModelInstallError as exc:
        pytest.skip(f"pose model not installed: {exc}")
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / SQUAT_CLIP.name).symlink_to(SQUAT_CLIP)  # linked, never copied
    monkeypatch.setenv("FORMCHECK_SAMPLES_DIR", str(samples))
    at = AppTest.from_string(PAGE, default_timeout=600).run()
    assert at.selectbox(key="review_exercise").value == "box_squat"
    at.button(key="review_analyse").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    reps = int(metrics["Reps"])
    assert reps >= 1
    table = next(t.value for t in at.table if "Result" in t.value.columns)
    assert len(table) == reps
    labels = [getattr(b, "label", None) for b in at.get("download_button")]
    assert labels == ["Result (JSON)", "Angles per frame (CSV)", "Annotated video (MP4)"]
    assert len(at.get("video")) == 1 and len(at.get("plotly_chart")) == 1


# -- helpers on a synthetic analysis ------------------------------------------------------------


@pytest.fixture(scope="module")
def squat_analysis() -> Analysis:
    t = [i / FPS for i in range(12 * FPS)]
    frames: list[PoseFrame | None] = [side_view_squat_frame(ts, squat_knee_deg(ts)) for ts in t]
    frames[5] = None  # one frame without a person
    series = LandmarkSeries.from_frames(t, frames, (800, 1000), "synthetic")
    return replay_series(load_spec("box_squat"), series)


def test_rep_rows(squat_analysis: Analysis) -> None:
    rows = rep_rows(load_spec("box_squat"), squat_analysis.result, squat_analysis.states)
    assert [r["Rep"] for r in rows] == [1, 2, 3]
    assert all(r["Result"] == "Good" and r["Faults"] == "none" for r in rows)
    assert all(90 <= r["Peak knee flexion (deg)"] <= 96 for r in rows)
    assert all(
        r["Duration (s)"] == pytest.approx(r["End (s)"] - r["Start (s)"], abs=0.11) for r in rows
    )


def test_frames_csv_has_every_signal_per_frame(squat_analysis: Analysis) -> None:
    spec = load_spec("box_squat")
    text = frames_csv(spec, squat_analysis.states)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(squat_analysis.states)
    assert set(spec.signals) <= set(rows[0])
    assert rows[5]["reason"] == "no_person" and rows[5]["knee_flexion_deg"] == ""
    peak = max(float(r["knee_flexion_deg"]) for r in rows if r["knee_flexion_deg"])
    assert 90 < peak < 96
    assert rows[-1]["rep_count"] == "3"


def test_not_assessed(squat_analysis: Analysis) -> None:
    reasons = dict(not_assessed(squat_analysis.states))
    assert reasons["no_person"] == pytest.approx(1 / len(squat_analysis.states))
    assert not_assessed([]) == []


def test_timeline_shades_reps(squat_analysis: Analysis) -> None:
    spec = load_spec("box_squat")
    fig = timeline_figure(spec, squat_analysis.states, squat_analysis.result)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 3
    ys = fig.data[0].y
    assert ys[5] is None and not any(isinstance(v, float) and math.isnan(v) for v in ys)
    assert fig.layout.yaxis.title.text == "Knee flexion (deg)"


def test_hold_tables() -> None:
    from formcheck.engine.holds import Hold
    from formcheck.engine.rules import Fault
    from formcheck.engine.session import SessionResult

    spec = load_spec("supine_figure_four_stretch")
    result = SessionResult(
        exercise=spec.id,
        reps=[],
        holds=[
            Hold(1.0, 70.0, 65.0, "left"),
            Hold(80.0, 120.0, 40.0, "right"),
            Hold(130, 140, 9.5, "left"),
        ],
        faults=[Fault("pelvis_down", 100.0, 103.0, "error", "Keep your pelvis flat")],
        frames=10,
        frames_with_pose=10,
        assessable_frames=10,
        view="side",
        side="left",
    )
    rows = hold_rows(spec, result)
    assert [r["Reached 60 s"] for r in rows] == ["yes", "no", "no"]
    assert hold_totals(result) == [
        {"Side": "left", "Holds": 2, "Longest (s)": 65.0, "Total (s)": 74.5},
        {"Side": "right", "Holds": 1, "Longest (s)": 40.0, "Total (s)": 40.0},
    ]
    assert fault_rows(result)[0]["Check"] == "pelvis_down"
    fig = timeline_figure(spec, [], result)
    assert len(fig.layout.shapes) == 4  # three holds and one fault strip


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("knee_flexion_deg", "Knee flexion (deg)"),
        ("knee_valgus_thigh", "Knee valgus (thigh)"),
        ("knee_height_torso", "Knee height (torso)"),
    ],
)
def test_signal_label(name: str, label: str) -> None:
    assert signal_label(name) == label


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("knee_flexion_deg", 95.4, "95"),  # degrees, whole
        ("knee_height_torso", 0.853, "0.85"),  # the butterfly's knee height: not "1"
        ("knee_gap_thigh", 0.4, "0.40"),  # the clamshell's knee gap: not "0"
    ],
)
def test_signal_number(name: str, value: float, text: str) -> None:
    assert signal_number(name, value) == text


@pytest.mark.parametrize(
    ("clip", "expected"),
    [
        # scenario: rendered front-view squats, the first clean, then knees caving by 20 deg:
        # each knee's inward offset per rep, in thigh lengths, for the clinician
        ("box_squat_front_valgus_20", [(0.03, 0.04), (0.25, 0.3), (0.26, 0.3)]),
        # scenario: side-on the legs overlap in the image: the columns stay blank
        ("box_squat_side_clean", [(None, None)] * 3),
    ],
)
def test_reps_table_shows_each_knee_inward_per_rep(clip: str, expected: list) -> None:
    spec = load_spec("box_squat")
    series = LandmarkSeries.load(LANDMARKS_DIR / f"{clip}.npz")
    rows = rep_rows(spec, replay_series(spec, series).result)
    got = [(r["Most left knee valgus (thigh)"], r["Most right knee valgus (thigh)"]) for r in rows]
    assert got == [tuple(pytest.approx(v, abs=0.005) if v else v for v in e) for e in expected]
