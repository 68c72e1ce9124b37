"""Opening recordings: the one place a video or saved landmarks are checked before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.source import recording as recordings
from formcheck.source.recording import RecordingError, open_recording
from tests.support.inputs import squat_series, write_video


def test_a_video_longer_than_the_limit_is_refused_before_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # scenario: the header says 30 frames where the limit is 10 (an hour at 30 fps in real use)
    monkeypatch.setattr(recordings, "MAX_VIDEO_FRAMES", 10)
    write_video(tmp_path / "long.mp4", 64, 48, 30)
    with pytest.raises(RecordingError, match="cut it into shorter clips"):
        open_recording(tmp_path / "long.mp4")
    # The same through the CLI: one line, exit 2, and the model is never needed.
    args = ["analyze", str(tmp_path / "long.mp4"), "--exercise", "box_squat"]
    assert main([*args, "--model", str(tmp_path / "no-model.task")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "longer than formcheck analyses at once" in err[0]


@pytest.mark.parametrize(
    ("frames", "limit", "refused"),
    [
        # scenario: a stream exactly at the limit is read to its end
        (5, 5, False),
        # scenario: a header that understated the length: refused once the stream runs past it
        (6, 5, True),
    ],
)
def test_a_stream_running_past_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, frames: int, limit: int, refused: bool
) -> None:
    monkeypatch.setattr(recordings, "MAX_VIDEO_FRAMES", limit)
    items = iter(range(frames))
    bounded = recordings._bounded(Path("x.mp4"), items)
    if refused:
        with pytest.raises(RecordingError, match="cut it into shorter clips"):
            list(bounded)
    else:
        assert list(bounded) == list(range(frames))


def test_saved_landmarks_open_without_the_model(tmp_path: Path) -> None:
    squat_series().save(tmp_path / "s.npz")
    recording = open_recording(tmp_path / "s.npz")
    assert recording.is_landmarks and recording.video is None
    assert recording.duration_s == pytest.approx(7.95)
