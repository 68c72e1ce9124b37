"""Bad input on the command line: one error line, exit 2, inputs untouched, no stray files.

Each row runs ``formcheck.cli.main`` in-process on a fresh copy of a small workspace (generated
videos, a landmark replay, a program, a copy of the specs) and then checks every file in it
byte for byte, so an output that replaced an input, or a temporary file left behind, fails the
row. Rows that run the real pose model are marked slow.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from formcheck.cli import main
from formcheck.history.database import sqlite_file
from formcheck.specs.loader import specs_dir
from tests.support.inputs import squat_series, write_video


def fake_model(path: Path) -> None:
    """A zip with the bundle's member names and TFLite headers but no model inside: it passes
    the bundle check and only MediaPipe itself can refuse it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        for name in ("pose_detector.tflite", "pose_landmarks_detector.tflite"):
            bundle.writestr(name, b"\0\0\0\0TFL3" + b"not a model" * 50)


@dataclass(frozen=True)
class Workspace:
    root: Path
    video: Path  # 64x48, 10 frames of noise
    tiny: Path  # a 1x1 video (FFV1 in Matroska: H.264 cannot encode it)
    npz: Path  # two squats as saved landmarks
    program: Path  # a program of one box squat exercise
    notes: Path  # text in a file named .mp4
    truncated: Path  # an MP4 cut to 60% of its bytes
    fake_model: Path
    some_file: Path  # a plain file, used as if it were a folder
    existing: Path  # an output from an earlier run
    clips: Path  # a labelled folder (manifest.json)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated once per module; each test gets its own copy."""
    root = tmp_path_factory.mktemp("media")
    write_video(root / "video.mp4", 64, 48, 10)
    write_video(root / "tiny.mkv", 1, 1, 10, codec="ffv1")
    full = root / "full.mp4"
    write_video(full, 64, 64, 30)
    data = full.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: int(len(data) * 0.6)])
    full.unlink()
    squat_series().save(root / "squats.npz")
    return root


@pytest.fixture
def ws(media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(media, root)
    # The specs are inputs too: a copy, so a wrong write could never reach the repository's.
    shutil.copytree(specs_dir(), root / "specs")
    monkeypatch.setenv("FORMCHECK_SPECS_DIR", str(root / "specs"))
    program = root / "squats_only.yaml"
    program.write_text(
        yaml.safe_dump(
            {
                "id": "squats_only",
                "title": "Squats",
                "summary": "One set of two squats.",
                "exercises": [{"exercise": "box_squat", "sets": 1, "reps": 2}],
            }
        )
    )
    (root / "notes.mp4").write_text("a shopping list, not a video\n")
    fake_model(root / "fake.task")
    (root / "some_file.txt").write_text("not a folder\n")
    (root / "earlier.json").write_text('{"from": "an earlier run"}\n')
    clips = root / "clips"
    clips.mkdir()
    (clips / "manifest.json").write_text(json.dumps([{"file": "a.mp4", "spec": "box_squat"}]))
    return Workspace(
        root,
        root / "video.mp4",
        root / "tiny.mkv",
        root / "squats.npz",
        program,
        root / "notes.mp4",
        root / "truncated.mp4",
        root / "fake.task",
        root / "some_file.txt",
        root / "earlier.json",
        clips,
    )


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) -> its SHA-256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


Argv = Callable[[Workspace], list[str]]


def analyze(source: Path, *extra: str | Path, exercise: str = "box_squat") -> list[str]:
    return ["analyze", str(source), "--exercise", exercise, *map(str, extra)]


# (argv builder, expected exit status, fragment of the one error line)
ROWS = [
    # scenario: --json names the input video (it would replace the patient's clip with JSON)
    pytest.param(
        lambda w: analyze(w.video, "--json", w.video),
        2,
        "is an input of this command",
        id="json-is-the-video",
    ),
    # scenario: --annotate names the input video (it would be left truncated)
    pytest.param(
        lambda w: analyze(w.video, "--annotate", w.video),
        2,
        "is an input of this command",
        id="annotate-is-the-video",
    ),
    # scenario: --json reaches the input video through a symbolic link
    pytest.param(
        lambda w: analyze(w.video, "--json", str(_link(w.root / "link.json", w.video))),
        2,
        "is an input of this command",
        id="json-links-to-the-video",
    ),
    # scenario: --json names the landmark file being replayed
    pytest.param(
        lambda w: analyze(w.npz, "--json", w.npz),
        2,
        "is an input of this command",
        id="json-is-the-npz",
    ),
    # scenario: --json names the exercise's own spec file
    pytest.param(
        lambda w: analyze(w.npz, "--json", w.root / "specs" / "box_squat.yaml"),
        2,
        "is an input of this command",
        id="json-is-the-spec",
    ),
    # scenario: --json names the model file given with --model
    pytest.param(
        lambda w: analyze(w.video, "--model", w.fake_model, "--json", w.fake_model),
        2,
        "is an input of this command",
        id="json-is-the-model",
    ),
    # scenario: program --json names the program file (it would be overwritten)
    pytest.param(
        lambda w: ["program", str(w.program), str(w.npz), "--json", str(w.program)],
        2,
        "is an input of this command",
        id="program-json-is-the-program",
    ),
    # scenario: program --json names one of its recordings
    pytest.param(
        lambda w: ["program", str(w.program), str(w.npz), "--json", str(w.npz)],
        2,
        "is an input of this command",
        id="program-json-is-a-recording",
    ),
    # scenario: evaluate --json names the folder's manifest
    pytest.param(
        lambda w: ["evaluate", str(w.clips), "--json", str(w.clips / "manifest.json")],
        2,
        "is an input of this command",
        id="evaluate-json-is-the-manifest",
    ),
    # scenario: two outputs of one command name the same file
    pytest.param(
        lambda w: analyze(
            w.npz, "--json", w.root / "out.npz", "--save-landmarks", w.root / "out.npz"
        ),
        2,
        "name the same file",
        id="two-outputs-one-file",
    ),
    # scenario: a typo in the output folder, found before any analysis
    pytest.param(
        lambda w: analyze(w.video, "--json", w.root / "no_such_folder" / "out.json"),
        2,
        "no_such_folder does not exist",
        id="json-folder-missing",
    ),
    # scenario: an output folder that cannot be written (a file in its place fails even for root)
    pytest.param(
        lambda w: analyze(w.npz, "--json", w.some_file / "out.json"),
        2,
        "some_file.txt is not a folder",
        id="json-folder-is-a-file",
    ),
    # scenario: --annotate into a missing folder names the path
    pytest.param(
        lambda w: analyze(w.video, "--annotate", w.root / "gone" / "out.mp4"),
        2,
        "--annotate {root}/gone/out.mp4",
        id="annotate-folder-missing",
    ),
    # scenario: an existing output without --force
    pytest.param(
        lambda w: analyze(w.npz, "--json", w.existing),
        2,
        "already exists; pass --force",
        id="existing-output",
    ),
    # scenario: an output that is a folder, even with --force
    pytest.param(
        lambda w: analyze(w.npz, "--json", w.clips, "--force"),
        2,
        "is a folder",
        id="output-is-a-folder",
    ),
    # scenario: --save-landmarks without .npz (numpy would write another file name)
    pytest.param(
        lambda w: analyze(w.npz, "--save-landmarks", w.root / "marks"),
        2,
        "must end in .npz",
        id="landmarks-name-without-npz",
    ),
    # scenario: --annotate with a name no H.264 container has
    pytest.param(
        lambda w: analyze(w.video, "--annotate", w.root / "out.txt"),
        2,
        "must end in .mp4",
        id="annotate-bad-extension",
    ),
    # scenario: --annotate on a landmark replay (there is no video to draw on)
    pytest.param(
        lambda w: analyze(w.npz, "--annotate", w.root / "out.mp4"),
        2,
        "needs the video",
        id="annotate-a-replay",
    ),
    # scenario: a 1x1 video with --annotate (the encoder cannot take it), refused before analysis
    pytest.param(
        lambda w: analyze(w.tiny, "--annotate", w.root / "out.mp4"),
        2,
        "1x1",
        id="annotate-1x1-video",
    ),
    # scenario: a text file named .mp4
    pytest.param(
        lambda w: analyze(w.notes, "--json", w.root / "o"),
        2,
        "is not a readable video",
        id="not-a-video",
    ),
    # scenario: a text file named .npz
    pytest.param(
        lambda w: analyze(_text(w.root / "notes.npz")),
        2,
        "is not a formcheck landmark file",
        id="not-a-landmark-file",
    ),
    # scenario: a missing recording
    pytest.param(
        lambda w: analyze(w.root / "nope.mp4"),
        2,
        "no such file",
        id="missing-video",
    ),
    # scenario: an exercise id that does not exist
    pytest.param(
        lambda w: analyze(w.npz, exercise="moonwalk"),
        2,
        "unknown exercise 'moonwalk'",
        id="unknown-exercise",
    ),
    # scenario: a fake .task file (right member names, no model): MediaPipe refuses to load it
    pytest.param(
        lambda w: analyze(w.video, "--model", w.fake_model, "--json", w.root / "out.json"),
        2,
        "cannot be used as a pose model",
        id="fake-model",
    ),
    # scenario: --json names the history database (it would replace every patient's history)
    pytest.param(
        lambda w: analyze(w.npz, "--json", _history_file(""), "--force"),
        2,
        "is an input of this command",
        id="json-is-the-history-database",
    ),
    # scenario: --save-landmarks names the database's write-ahead log, through a link
    pytest.param(
        lambda w: analyze(
            w.npz, "--save-landmarks", _link(w.root / "h.npz", _history_file("-wal")), "--force"
        ),
        2,
        "is an input of this command",
        id="landmarks-link-to-the-history-wal",
    ),
    # scenario: program --json names the database's rollback journal
    pytest.param(
        lambda w: ["program", str(w.program), str(w.npz), "--json", str(_history_file("-journal"))],
        2,
        "is an input of this command",
        id="program-json-is-the-history-journal",
    ),
    # scenario: a named pipe as the video (opening it would wait for a writer for ever)
    pytest.param(
        lambda w: analyze(_fifo(w.root / "pipe.mp4")),
        2,
        "is a named pipe (FIFO), not a recording",
        id="fifo-as-video",
    ),
    # scenario: a character device as the video (reading /dev/zero never ends)
    pytest.param(
        lambda w: analyze(Path("/dev/zero")),
        2,
        "is a character device, not a recording",
        id="char-device-as-video",
    ),
    # scenario: a socket as the landmark file
    pytest.param(
        lambda w: analyze(_socket(w.root / "s.npz")),
        2,
        "is a socket, not a recording",
        id="socket-as-landmarks",
    ),
    # scenario: a named pipe as the program file
    pytest.param(
        lambda w: ["program", str(_fifo(w.root / "prog.yaml")), str(w.npz)],
        2,
        "a pipe, socket or device, not a file",
        id="fifo-as-program",
    ),
    # scenario: a timestamp of 1e300 s in a landmark file
    pytest.param(
        lambda w: analyze(_npz_with(w.root / "t.npz", "t_s", 1e300)),
        2,
        "timestamp",
        id="npz-time-1e300",
    ),
    # scenario: a coordinate of 1e300 px in a landmark file
    pytest.param(
        lambda w: analyze(_npz_with(w.root / "xy.npz", "xy_px", 1e300)),
        2,
        "xy_px is beyond 1e+06 in size in frame 3",
        id="npz-coordinate-1e300",
    ),
    # scenario: a YAML boolean where a number is meant (yes would become a limit of 1.0)
    pytest.param(
        lambda w: analyze(w.npz, *_spec_edit(w, "ok: {max: 0.2}", "ok: {max: yes}")),
        2,
        "'max' must be a number, not true",
        id="spec-boolean-as-number",
    ),
    # scenario: a key given twice in a spec (YAML keeps the last without a word)
    pytest.param(
        lambda w: analyze(w.npz, *_spec_edit(w, "ok: {max: 0.2}", "ok: {max: 0.2, max: 0.9}")),
        2,
        "the key 'max' is given twice in one mapping",
        id="spec-duplicate-key",
    ),
    # scenario: a merge key in a spec
    pytest.param(
        lambda w: analyze(w.npz, *_spec_edit(w, "ok: {max: 0.2}", "ok: {<<: {max: 13}}")),
        2,
        "YAML merge keys (<<) are not accepted",
        id="spec-merge-key",
    ),
    # scenario: sets given twice in a program (2, then 20)
    pytest.param(
        lambda w: ["program", str(_text_file(w.root / "twice.yaml", _TWICE)), str(w.npz)],
        2,
        "the key 'sets' is given twice in one mapping (first on line 5)",
        id="program-duplicate-key",
    ),
    # scenario: a YAML boolean as a program's number of sets (on would be 1 set)
    pytest.param(
        lambda w: [
            "program",
            str(
                _text_file(
                    w.root / "on.yaml", _TWICE.replace("sets: 2,\n     sets: 20", "sets: on")
                )
            ),
            str(w.npz),
        ],
        2,
        "'sets' must be a number, not true",
        id="program-boolean-as-number",
    ),
    # scenario: a video cut short by a failed copy, found while the model runs
    pytest.param(
        lambda w: analyze(
            w.truncated, "--json", w.root / "out.json", "--save-landmarks", w.root / "out.npz"
        ),
        2,
        "truncated",
        id="truncated-video",
        marks=pytest.mark.slow,
    ),
]


_TWICE = """id: twice
title: Twice
summary: Sets given twice.
exercises:
  - {exercise: box_squat, sets: 2,
     sets: 20, reps: 2}
"""


def _history_file(end: str) -> Path:
    """The default history database (in the tests' throwaway data folder) or a companion."""
    path = sqlite_file()
    assert path is not None
    return path.with_name(path.name + end)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays
    return path


def _npz_with(path: Path, name: str, value: float) -> Path:
    series = squat_series()
    if name == "t_s":
        series.t_s[-1] = value
    else:
        series.xy_px[3, 5, 0] = value
    series.save(path)
    return path


def _spec_edit(w: Workspace, old: str, new: str) -> list[str]:
    spec = w.root / "specs" / "box_squat.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))
    return []


def _text_file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _text(path: Path) -> Path:
    path.write_text("not numpy\n")
    return path


def one_error_line(err: str, out: str) -> str:
    assert "Traceback" not in err + out
    lines = [ln for ln in err.splitlines() if ln.startswith("formcheck: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("argv", "code", "fragment"), ROWS)
def test_bad_input_is_one_line_and_changes_nothing(
    ws: Workspace,
    argv: Argv,
    code: int,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    if request.node.get_closest_marker("slow"):
        request.getfixturevalue("model_path")  # skips when no model is installed
    args = argv(ws)  # may add a link or a file: part of the row's set-up
    before = snapshot(ws.root)
    assert main(args) == code
    captured = capsys.readouterr()
    line = one_error_line(captured.err, captured.out)
    assert fragment.format(root=ws.root) in line
    assert snapshot(ws.root) == before  # inputs byte for byte the same, no stray file


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_read_only_folder_is_refused_before_analysis(ws: Workspace, capsys) -> None:  # type: ignore[no-untyped-def]
    locked = ws.root / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        args = ["analyze", str(ws.npz), "--exercise", "box_squat", "--json", str(locked / "o")]
        assert main(args) == 2
        captured = capsys.readouterr()
        assert "no permission to write in" in one_error_line(captured.err, captured.out)
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(
    "command",
    [
        # scenario: analyze replaces an earlier result when asked to
        "analyze",
        # scenario: program replaces an earlier result when asked to
        "program",
    ],
)
def test_force_replaces_an_earlier_output_and_nothing_else(
    ws: Workspace, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if command == "analyze":
        args = ["analyze", str(ws.npz), "--exercise", "box_squat", "--json", str(ws.existing)]
    else:
        args = ["program", str(ws.program), str(ws.npz), "--json", str(ws.existing)]
    before = snapshot(ws.root)
    assert main(args) == 2  # refused without --force
    capsys.readouterr()
    assert main([*args, "--force"]) == 0, capsys.readouterr().err
    after = snapshot(ws.root)
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed == {ws.existing.name}
    assert set(after) == set(before)
    data = json.loads(ws.existing.read_text())
    assert ("reps" in data) if command == "analyze" else (data["program"] == "squats_only")


def test_fake_model_prints_one_line_and_no_mediapipe_log(ws: Workspace) -> None:
    """Through a real process: MediaPipe's native code writes to file descriptor 2 itself
    (with a fake model: an "ERROR: The model is not a valid Flatbuffer buffer" line)."""
    args = ["analyze", str(ws.video), "--exercise", "box_squat", "--model", str(ws.fake_model)]
    env = {**os.environ, "FORMCHECK_SPECS_DIR": str(ws.root / "specs")}
    run = [sys.executable, "-m", "formcheck.cli"]
    quiet = subprocess.run([*run, *args], capture_output=True, text=True, env=env, timeout=120)
    assert quiet.returncode == 2
    assert quiet.stdout == ""
    assert quiet.stderr.splitlines() == [one_error_line(quiet.stderr, quiet.stdout)]
    # The same with --verbose shows MediaPipe's own lines: the silencing is what hid them.
    loud = subprocess.run(
        [*run, "--verbose", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert loud.returncode == 2
    assert len(loud.stderr.splitlines()) > 1
    one_error_line(loud.stderr, loud.stdout)


def test_an_output_name_as_long_as_the_file_system_takes_is_written(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # 245 characters: the temporary name beside it must be shorter than the 255 a name may have.
    out = ws.root / ("r" * 240 + ".json")
    assert main(["analyze", str(ws.npz), "--exercise", "box_squat", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["reps"]["count"] == 2
    assert [p.name for p in ws.root.iterdir() if p.name.startswith(".")] == []


# (scenario, frame step over the 20 fps replay, whether the warning is printed)
FRAME_RATES = [
    # a slide-show clip: one frame every 2 s
    ("half_a_frame_a_second", 40, True),
    # 4 frames a second, just under the limit
    ("four_a_second", 5, True),
    # 20 frames a second
    ("full_rate", 1, False),
]


@pytest.mark.parametrize(("name", "step", "warned"), FRAME_RATES, ids=[f[0] for f in FRAME_RATES])
def test_analyze_warns_when_too_few_frames_a_second_were_analysed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, step: int, warned: bool
) -> None:
    npz = tmp_path / "slow.npz"
    squat_series().every(step).save(npz)
    assert main(["analyze", str(npz), "--exercise", "box_squat"]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("formcheck: warning:")]
    assert len(lines) == (1 if warned else 0), err
    if warned:
        assert "frames a second were analysed (under 5)" in lines[0]


def test_a_program_with_no_set_done_is_not_finished(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ws.root / "program.json"
    assert main(["program", str(ws.program), "-", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert (data["finished"], data["sets_done"], data["sets_planned"]) == (False, 0, 1)
    assert main(["program", str(ws.program), str(ws.npz), "--json", str(out), "--force"]) == 0
    data = json.loads(out.read_text())
    assert (data["finished"], data["sets_done"], data["sets_planned"]) == (True, 1, 1)


def test_validate_specs_checks_the_folder_given_and_only_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(specs_dir() / "box_squat.yaml", one)
    assert main(["validate-specs", str(one)]) == 0  # no installed program is judged by it
    assert capsys.readouterr().out.splitlines() == ["1 of 1 specs valid"]


def test_validate_specs_blames_a_broken_base_spec_on_the_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    base = (specs_dir() / "box_squat.yaml").read_text().replace("ok: {max: 0.2}", "ok: {max: yes}")
    (folder / "box_squat.yaml").write_text(base)
    (folder / "deep_squat.yaml").write_text(
        "based_on: box_squat\nid: deep_squat\ntitle: Deep squat\n"
    )
    assert main(["validate-specs", str(folder)]) == 2
    err = capsys.readouterr().err
    invalid = [ln for ln in err.splitlines() if ln.startswith("INVALID")]
    assert invalid[0].startswith("INVALID box_squat.yaml: rules.")
    assert "'max' must be a number" in invalid[0]
    assert invalid[1].startswith("INVALID deep_squat.yaml: based_on 'box_squat', which is invalid:")
    assert "box_squat.yaml: rules." in invalid[1]
