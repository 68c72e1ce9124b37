"""Video reading: timestamps from the container, and phone rotation metadata applied."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.source.video import iter_frames, probe


def _write(path: Path, rotation_deg: int, fps: int = 10) -> None:
    """A 64x32 landscape clip with a white stripe down its left edge and display rotation."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = 64, 32, "yuv420p"
        if rotation_deg:
            s.set_display_rotation(rotation_deg)
        for _ in range(10):
            img = np.zeros((32, 64, 3), np.uint8)
            img[:, :8] = 255
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


@pytest.mark.parametrize(
    ("rotation_deg", "shape", "white_edge"),
    [
        # no metadata: as stored, stripe on the left
        (0, (32, 64, 3), "left"),
        # a phone held upright records landscape pixels plus "rotate 90 deg counter-clockwise":
        # the frame comes out portrait and the stored left edge ends at the bottom, as FFmpeg's
        # own autorotation shows it
        (90, (64, 32, 3), "bottom"),
        (-90, (64, 32, 3), "top"),
        (180, (32, 64, 3), "right"),
    ],
)
def test_rotation_metadata_gives_upright_frames(tmp_path, rotation_deg, shape, white_edge):
    path = tmp_path / "clip.mp4"
    _write(path, rotation_deg)
    info = probe(path)
    assert (info.height, info.width) == shape[:2]
    _, rgb = next(iter_frames(path))
    assert rgb.shape == shape
    edges = {
        "left": rgb[:, :4],
        "right": rgb[:, -4:],
        "top": rgb[:4],
        "bottom": rgb[-4:],
    }
    assert edges[white_edge].mean() > 200
    others = [v.mean() for k, v in edges.items() if k != white_edge]
    assert min(others) < 60


def test_timestamps_come_from_the_container(tmp_path):
    path = tmp_path / "clip.mp4"
    _write(path, 0, fps=10)
    times = [t for t, _ in iter_frames(path)]
    assert times == pytest.approx([i / 10 for i in range(10)], abs=1e-3)
