"""Frames as the Practice page receives them: fitted into 640x480, through VP8 and back."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.corpus.as_live import LIVE_WH, as_received_live, letterbox


@pytest.mark.parametrize(
    ("src_wh", "picture_wh"),
    [
        ((1080, 1920), (270, 480)),  # a portrait phone clip: bars left and right
        ((1920, 1080), (640, 360)),  # wide: bars above and below
        ((320, 240), (640, 480)),  # a small 4:3 webcam: scaled up to fill
    ],
)
def test_letterbox_fits_the_whole_picture_centred(
    src_wh: tuple[int, int], picture_wh: tuple[int, int]
) -> None:
    w, h = src_wh
    out = letterbox(np.full((h, w, 3), 200, np.uint8))
    assert out.shape == (480, 640, 3) and out.dtype == np.uint8
    rows, cols = np.nonzero(out[:, :, 0])
    assert (cols.max() - cols.min() + 1, rows.max() - rows.min() + 1) == picture_wh
    # centred: the bars on either side differ by at most a pixel
    assert abs(cols.min() - (639 - cols.max())) <= 1 and abs(rows.min() - (479 - rows.max())) <= 1


def _scene(t_s: float) -> np.ndarray:
    """A 720x1280 picture with a bright square moving across a gradient."""
    img = np.zeros((1280, 720, 3), np.uint8)
    img[:, :, 1] = np.linspace(0, 255, 720, dtype=np.uint8)[None, :]
    x = int(100 + 300 * t_s)
    img[500:700, x : x + 200] = 255
    return img


def test_every_frame_comes_back_in_order_compressed_but_close() -> None:
    times = [i / 30 for i in range(45)]
    out = list(as_received_live((t, _scene(t)) for t in times))
    assert [t for t, _ in out] == times
    for _, rgb in out:
        assert rgb.shape == (LIVE_WH[1], LIVE_WH[0], 3) and rgb.dtype == np.uint8
    diffs = [np.abs(rgb.astype(int) - letterbox(_scene(t)).astype(int)).mean() for t, rgb in out]
    assert max(diffs) < 8, diffs  # the same picture, within a few grey levels on average
    assert min(diffs) > 0, "the frames went through the encoder, not around it"


def test_a_stalled_clock_still_encodes() -> None:
    # Two frames with the same time (a variable-frame-rate clip) must not stop the encoder.
    out = list(as_received_live([(0.0, _scene(0.0)), (0.0, _scene(0.0)), (0.1, _scene(0.1))]))
    assert [t for t, _ in out] == [0.0, 0.0, 0.1]
