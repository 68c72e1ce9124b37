"""A clip's frames as the Practice page receives a camera's: 640x480, through a VP8 encoder.

Live, the browser asks the camera for 640x480 (``formcheck.ui.webrtc.MEDIA_CONSTRAINTS``) and
WebRTC sends it VP8-compressed at a bitrate the connection settles on, so the pose model and the
back's outline see a smaller, blurrier picture than ``formcheck analyze`` reads from a file.
Scoring a labelled corpus through this (``formcheck evaluate --as-live``) measures what a patient
gets from the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction

import av
import cv2
import numpy as np
import numpy.typing as npt

RgbImage = npt.NDArray[np.uint8]

LIVE_WH = (640, 480)
# Chromium starts a WebRTC video at about 300 kbit/s and raises it toward 1.7-2.5 Mbit/s for
# 640x480 on a fast link (the page talks to a server on the same laptop); 800 kbit/s sits between,
# on the blurry side of what a settled connection sends.
LIVE_BITRATE = 800_000
# Bumped when the transform changes, so cached landmarks of the old one are not reused.
AS_LIVE_VERSION = 1


def letterbox(rgb: RgbImage, wh: tuple[int, int] = LIVE_WH) -> RgbImage:
    """``rgb`` scaled to fit ``wh`` whole, centred on black (a portrait phone clip gets bars)."""
    w, h = wh
    src_h, src_w = rgb.shape[:2]
    scale = min(w / src_w, h / src_h)
    new_w, new_h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)
    out = np.zeros((h, w, 3), np.uint8)
    x0, y0 = (w - new_w) // 2, (h - new_h) // 2
    out[y0 : y0 + new_h, x0 : x0 + new_w] = resized
    return out


def as_received_live(
    frames: Iterable[tuple[float, RgbImage]], bitrate: int = LIVE_BITRATE
) -> Iterator[tuple[float, RgbImage]]:
    """Each ``(t_s, rgb)`` letterboxed into 640x480, VP8-encoded in real-time mode and decoded.

    The encoder keeps no frames back (``lag-in-frames`` 0, as WebRTC's), so every frame comes
    out with its own time, in order.
    """
    w, h = LIVE_WH
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = w, h, "yuv420p"
    encoder.bit_rate = bitrate
    encoder.time_base = Fraction(1, 1000)
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    decoder = av.CodecContext.create("vp8", "r")
    pending: list[float] = []
    last_pts = -1
    for t_s, rgb in frames:
        frame = av.VideoFrame.from_ndarray(letterbox(rgb), format="rgb24").reformat(
            format="yuv420p"
        )
        # The encoder budgets bits by the time between frames, and needs it to advance.
        frame.pts = last_pts = max(last_pts + 1, round(t_s * 1000))
        pending.append(t_s)
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                yield pending.pop(0), _rgb(decoded)
    for packet in encoder.encode(None):
        for decoded in decoder.decode(packet):
            yield pending.pop(0), _rgb(decoded)


def _rgb(frame: av.VideoFrame) -> RgbImage:
    return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
