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
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from formcheck.cli import main
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
