"""Output files: refused before any work when they would harm an input, written whole or not at
all, strict JSON, and a result that says so when nobody was found."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import jsonschema
import numpy as np
import pytest

from formcheck import cli
from formcheck import outputs as outputs_module
from formcheck.landmarks import LandmarkSeries
from formcheck.outputs import OutputError, stage_outputs
from formcheck.results import NonFiniteNumberError, json_text, result_schema
from tests.support.inputs import squat_series, write_video
from tests.support.paths import REPO

# -- formcheck.outputs --------------------------------------------------------------------------


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("setup", "outputs", "force", "fragment"),
    [
        # scenario: the output is the input
        ("", {"--json": "in.mp4"}, True, "is an input of this command"),
        # scenario: the output is the input, written another way
        ("", {"--json": "sub/../in.mp4"}, True, "is an input of this command"),
        # scenario: the output is a symbolic link to the input
        ("symlink", {"--json": "link.json"}, True, "the same file as"),
        # scenario: the output is a hard link to the input
        ("hardlink", {"--json": "hard.mp4"}, True, "the same file as"),
        # scenario: an existing file without force
        ("", {"--json": "old.json"}, False, "already exists; pass --force"),
        # scenario: a folder, even with force
        ("", {"--json": "sub"}, True, "is a folder"),
        # scenario: a device, even with force (os.replace would swap the device node)
        ("", {"--json": "/dev/null"}, True, "is not a regular file"),
        # scenario: two outputs, one file
        ("", {"--json": "a.out", "--markdown": "./a.out"}, False, "name the same file"),
        # scenario: a folder that does not exist
        ("", {"--json": "missing/a.json"}, False, "the folder missing does not exist"),
        # scenario: a file used as a folder
        ("", {"--json": "old.json/a.json"}, False, "old.json is not a folder"),
        # scenario: the first output is fine, the second is not: neither leaves a file
        ("", {"--json": "fine.json", "--markdown": "missing/a.md"}, False, "does not exist"),
    ],
)
def test_refused_outputs_leave_the_folder_as_it_was(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    outputs: dict[str, str],
    force: bool,
    fragment: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.mp4").write_bytes(b"video")
    (tmp_path / "old.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    if setup == "symlink":
        (tmp_path / "link.json").symlink_to(tmp_path / "in.mp4")
    if setup == "hardlink":
        os.link(tmp_path / "in.mp4", tmp_path / "hard.mp4")
    before = _files(tmp_path)
    with pytest.raises(OutputError, match=re.escape(fragment)):
        stage_outputs(outputs, [Path("in.mp4")], force=force)
    assert _files(tmp_path) == before
    assert (tmp_path / "in.mp4").read_bytes() == b"video"


def test_outputs_appear_only_on_commit_with_their_extension(tmp_path: Path) -> None:
    targets = {"--json": tmp_path / "r.json", "--annotate": tmp_path / "r.mp4"}
    with stage_outputs(targets, []) as staged:
        for option, target in targets.items():
            temp = staged.path(option)
            assert temp.parent == tmp_path and temp.name.startswith(".")
            assert temp.suffix == target.suffix  # PyAV picks the container by it
            assert temp.exists() and not target.exists()  # created by the checks
            temp.write_text(option)
        assert staged.commit() == list(targets.values())
    assert _files(tmp_path) == ["r.json", "r.mp4"]
    assert (tmp_path / "r.mp4").read_text() == "--annotate"


@pytest.mark.parametrize(
    "failure",
    [
        # scenario: an error part-way through writing
        RuntimeError("encoder failed"),
        # scenario: Ctrl-C part-way through writing
        KeyboardInterrupt(),
    ],
)
def test_an_interrupted_command_leaves_no_file(tmp_path: Path, failure: BaseException) -> None:
    with pytest.raises(type(failure)), stage_outputs({"--json": tmp_path / "r.json"}, []) as st:
        st.path("--json").write_text("half")
        raise failure
    assert _files(tmp_path) == []


def test_a_file_that_appears_during_the_run_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    staged = stage_outputs({"--json": target}, [])
    with pytest.raises(OutputError, match="while this command ran"), staged:
        staged.path("--json").write_text("new")
        target.write_text("someone else's")
        staged.commit()
    assert target.read_text() == "someone else's"
    assert _files(tmp_path) == ["r.json"]


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with stage_outputs({"--json": tmp_path / "r.json"}, []) as staged:
            staged.commit()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644


# -- strict JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "where"),
    [
        # scenario: an infinite hold target in a program summary
        ({"exercises": [{"hold_s": math.inf}]}, "exercises[0].hold_s"),
        # scenario: NaN deep in a list
        ({"reps": {"events": [{"peak": 1.0}, {"peak": math.nan}]}}, "reps.events[1].peak"),
        # scenario: minus infinity at the top
        ({"duration_s": -math.inf}, "duration_s"),
    ],
)
def test_json_text_refuses_numbers_json_cannot_hold(data: dict[str, Any], where: str) -> None:
    with pytest.raises(NonFiniteNumberError, match=re.escape(where)):
        json_text(data)


def test_json_text_is_strict_json() -> None:
    text = json_text({"rom": None, "hold_s": 12.5, "ok": True})
    assert text.endswith("\n")
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict {c}")) == {
        "rom": None,
        "hold_s": 12.5,
        "ok": True,
    }


# -- the analyze command ------------------------------------------------------------------------


def _nobody(path: Path) -> Path:
    """Saved landmarks of 3 s in which the model found nobody."""
    times = [i / 10 for i in range(30)]
    LandmarkSeries.from_frames(times, [None] * len(times), (640, 480), "empty").save(path)
    return path


def test_a_replay_writes_valid_json_and_landmarks_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.npz"
    squat_series().save(source)
    out, marks = tmp_path / "r.json", tmp_path / "again.npz"
    args = ["analyze", str(source), "--exercise", "box_squat"]
    assert cli.main([*args, "--json", str(out), "--save-landmarks", str(marks)]) == 0
    assert _files(tmp_path) == ["again.npz", "in.npz", "r.json"]
    data = json.loads(out.read_text())
    jsonschema.validate(data, result_schema())
    assert data["person_found"] is True and data["reps"]["count"] == 2
    assert len(LandmarkSeries.load(marks)) == len(LandmarkSeries.load(source))
    assert "No person was found" not in capsys.readouterr().out


def test_nobody_found_is_said_in_the_summary_and_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _nobody(tmp_path / "empty.npz")
    out = tmp_path / "r.json"
    assert cli.main(["analyze", str(source), "--exercise", "box_squat", "--json", str(out)]) == 0
    assert "No person was found in this video" in capsys.readouterr().out
    data = json.loads(out.read_text())
    jsonschema.validate(data, result_schema())
    assert data["person_found"] is False and data["frames"] == 30


def test_program_names_the_recording_with_nobody_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "squats_then_bridges.yaml"
    program.write_text(
        "id: squats_then_bridges\ntitle: Two\nsummary: Squats, then bridges.\nexercises:\n"
        "  - {exercise: box_squat, sets: 1, reps: 2}\n"
        "  - {exercise: glute_bridge, sets: 1, reps: 2}\n"
    )
    squats = tmp_path / "squats.npz"
    squat_series().save(squats)
    empty = _nobody(tmp_path / "empty.npz")
    assert cli.main(["program", str(program), str(squats), str(empty)]) == 0
    out = capsys.readouterr().out
    assert f"No person was found in {empty}" in out
    assert str(squats) not in out


class _NobodyBackend:
    """Stands in for the pose model: finds nobody, instantly."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def detect(self, rgb: object, t_s: float) -> None:
        return None

    def close(self) -> None:
        pass

    def __enter__(self) -> _NobodyBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.fixture
def stub_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from formcheck.pose import mediapipe_backend

    monkeypatch.setattr(mediapipe_backend, "MediaPipePoseBackend", _NobodyBackend)
    monkeypatch.setattr(cli, "_model_path", lambda model: tmp_path / "stand-in.task")


@pytest.mark.parametrize(
    ("failure", "code", "message"),
    [
        # scenario: Ctrl-C on the third annotated frame
        (KeyboardInterrupt(), 130, "formcheck: error: interrupted"),
        # scenario: the encoder fails on the third annotated frame
        (av.error.ArgumentError(22, "Invalid argument"), 2, "could not be written"),
    ],
)
def test_a_failed_annotation_leaves_no_output_at_all(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stub_model: None,
    failure: BaseException,
    code: int,
    message: str,
) -> None:
    from formcheck.source.video import VideoWriter

    video = tmp_path / "in.mp4"
    write_video(video, 64, 48, 10)
    written = []
    real_write = VideoWriter.write

    def write(self: VideoWriter, rgb: np.ndarray, t_s: float) -> None:
        written.append(t_s)
        if len(written) == 3:
            raise failure
        real_write(self, rgb, t_s)

    monkeypatch.setattr(VideoWriter, "write", write)
    outputs = {"--json": "r.json", "--save-landmarks": "r.npz", "--annotate": "r.mp4"}
    args = ["analyze", str(video), "--exercise", "box_squat"]
    for option, name in outputs.items():
        args += [option, str(tmp_path / name)]
    assert cli.main(args) == code
    assert len(written) == 3  # it did fail part-way through the annotation
    err = capsys.readouterr().err
    assert err.count("formcheck: error:") == 1 and message in err
    assert "--annotate" in err or code == 130
    assert _files(tmp_path) == ["in.mp4"]


def test_the_annotated_video_is_written_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stub_model: None
) -> None:
    from formcheck.source.video import probe

    video = tmp_path / "in.mp4"
    write_video(video, 64, 48, 10)
    args = ["analyze", str(video), "--exercise", "box_squat", "--annotate", str(tmp_path / "a.mov")]
    assert cli.main(args) == 0, capsys.readouterr().err
    assert _files(tmp_path) == ["a.mov", "in.mp4"]
    assert probe(tmp_path / "a.mov").frame_count in (0, 10)  # a whole, readable video
    assert "No person was found" in capsys.readouterr().out


# -- through a real process, with the real model ------------------------------------------------


@pytest.mark.slow
def test_an_empty_room_says_nobody_and_prints_no_mediapipe_log(
    tmp_path: Path, model_path: Path
) -> None:
    """The real model on 3 s of a noisy empty background: exit 0, the summary says nobody was
    found, and stderr stays empty (with --verbose MediaPipe's own lines show there)."""
    video = tmp_path / "empty_room.mp4"
    write_video(video, 160, 120, 30)
    out = tmp_path / "r.json"
    run = [sys.executable, "-m", "formcheck.cli"]
    args = ["analyze", str(video), "--exercise", "box_squat", "--model", str(model_path)]
    quiet = subprocess.run(
        [*run, *args, "--json", str(out)], capture_output=True, text=True, timeout=300
    )
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert "No person was found in this video" in quiet.stdout
    assert json.loads(out.read_text())["person_found"] is False
    loud = subprocess.run([*run, *args, "--verbose"], capture_output=True, text=True, timeout=300)
    assert loud.returncode == 0
    assert "XNNPACK" in loud.stderr  # what the quiet run hid


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signal_name", "code", "line"),
    [
        # scenario: Ctrl-C in the terminal
        ("SIGINT", 130, "formcheck: error: interrupted"),
        # scenario: a service manager or `kill` stops the run
        ("SIGTERM", 143, "formcheck: error: stopped (SIGTERM)"),
    ],
)
def test_a_stop_during_annotation_leaves_only_the_input(
    tmp_path: Path, model_path: Path, signal_name: str, code: int, line: str
) -> None:
    """A real signal once the annotated video has started growing: its exit code, one line, and
    neither the finished JSON and landmarks nor the half video are left."""
    import shutil
    import signal
    import time

    shutil.copy(REPO / "sample_videos" / "box_squat_side_clean.mp4", tmp_path / "in.mp4")
    args = ["analyze", "in.mp4", "--exercise", "box_squat", "--model", str(model_path)]
    args += ["--json", "r.json", "--save-landmarks", "r.npz", "--annotate", "r.mp4"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck.cli", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job ignores SIGINT, and Python then installs no handler for it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.stat().st_size > 0 for p in tmp_path.glob(".fc-*.mp4")):
            proc.send_signal(getattr(signal, signal_name))
            break
        time.sleep(0.01)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert err.splitlines() == [line]
    assert _files(tmp_path) == ["in.mp4"]


def test_a_temporary_name_taken_by_a_link_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(outputs_module.secrets, "token_hex", lambda _n: next(names))
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's")
    (tmp_path / ".fc-aaaaaaaaaaaa.json").symlink_to(victim)  # planted where the first name falls
    with stage_outputs({"--json": tmp_path / "r.json"}, []) as staged:
        assert staged.path("--json").name == ".fc-bbbbbbbbbbbb.json"
        staged.path("--json").write_text("result")
        staged.commit()
    assert victim.read_text() == "someone else's"
    assert (tmp_path / "r.json").read_text() == "result"


@pytest.mark.parametrize(
    ("private", "mode"),
    [
        # patient data (exports, reports, backups): this user only, whatever the umask
        (True, 0o600),
        # other outputs: as the umask (022) says
        (False, 0o644),
    ],
)
def test_private_outputs_are_readable_by_their_owner_only(
    tmp_path: Path, private: bool, mode: int
) -> None:
    old = os.umask(0o022)
    try:
        with stage_outputs({"--json": tmp_path / "r.json"}, [], private=private) as staged:
            staged.path("--json").write_text("{}")
            (done,) = staged.commit()
    finally:
        os.umask(old)
    assert oct(done.stat().st_mode & 0o777) == oct(mode)
