"""Input files made to order: small videos (grey noise, grey MJPEG frames of any declared
size), a landmark replay of two squats, a shipped program, and a YAML alias bomb."""

from __future__ import annotations

import fractions
import math
import struct
from pathlib import Path

import av
import numpy as np

from formcheck.landmarks import LandmarkSeries
from formcheck.programs import programs_dir
from tests.factories import side_view_squat_frame

PROGRAM = programs_dir() / "low_back_starter.yaml"


def write_video(path: Path, width: int, height: int, frames: int, codec: str = "libx264") -> None:
    """A few frames of grey noise (nobody in them), encoded with ``codec``."""
    pix_fmt = {"libx264": "yuv420p", "ffv1": "bgr0"}[codec]
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for _ in range(frames):
            rgb = rng.integers(90, 110, (height, width, 3), np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def squat_series(seconds: float = 8.0, fps: float = 20.0) -> LandmarkSeries:
    """A person squatting side-on twice (knee flexion 5 -> 90 -> 5 deg, 1-3 s and 5-7 s)."""
    times = np.arange(0.0, seconds, 1 / fps)
    knee = 5 + 85 * np.clip(np.sin(np.pi * (times - 1.0) / 2.0), 0, None) * (times > 1.0)
    frames = [side_view_squat_frame(float(t), float(k)) for t, k in zip(times, knee, strict=True)]
    return LandmarkSeries.from_frames([float(t) for t in times], list(frames), (800, 1000), "x")


def alias_pair(levels: int = 9, fan: int = 10) -> dict[str, str]:
    """Two specs of under 1 KB each whose ``based_on`` merge walks ``fan ** levels`` mappings,
    built with aliases (the issue's 7 GB pair)."""
    lines = ["  l0: &l0 {" + ", ".join(f"k{i}: 1" for i in range(fan)) + "}"]
    for j in range(1, levels):
        refs = ", ".join(f"k{i}: *l{j - 1}" for i in range(fan))
        lines.append(f"  l{j}: &l{j} {{{refs}}}")
    body = "defs:\n" + "\n".join(lines) + f"\nx: *l{levels - 1}\n"
    return {"bomb_base.yaml": "id: bomb_base\n" + body, "bomb.yaml": "based_on: bomb_base\n" + body}


def _grey_jpeg(width: int, height: int) -> bytes:
    """A baseline JPEG of a mid-grey ``width`` x ``height`` image, 4 bytes per 16x16 block,
    so its size declares nothing of what decoding it costs."""
    enc = av.CodecContext.create("mjpeg", "w")
    enc.width = enc.height = 16
    enc.pix_fmt = "yuvj420p"
    enc.time_base = fractions.Fraction(1, 10)
    enc.options = {"huffman": "default"}  # the standard tables the block pattern below needs
    grey = np.full((16, 16, 3), 128, np.uint8)
    frame = av.VideoFrame.from_ndarray(grey, format="rgb24").reformat(format="yuvj420p")
    jpeg = b"".join(bytes(p) for p in [*enc.encode(frame), *enc.encode(None)])
    sos = jpeg.index(b"\xff\xda")
    header = bytearray(jpeg[: sos + 2 + struct.unpack(">H", jpeg[sos + 2 : sos + 4])[0]])
    sof = header.index(b"\xff\xc0")
    header[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    blocks = math.ceil(width / 16) * math.ceil(height / 16)
    # Every block is grey: a DC difference of 0 ("00") and an end of block, four luma blocks
    # (00 1010) and two chroma blocks (00 00): exactly 4 bytes a 16x16 block.
    return bytes(header) + b"\x28\xa2\x8a\x00" * blocks + b"\xff\xd9"


def mjpeg_clip(path: Path, sizes: list[tuple[int, int]], header: tuple[int, int] | None = None):
    """An AVI of grey MJPEG frames of the given sizes (the stream header says the first)."""
    width, height = header or sizes[0]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuvj420p"
        for k, (w, h) in enumerate(sizes):
            packet = av.Packet(_grey_jpeg(w, h))
            packet.stream = stream
            packet.pts = packet.dts = k
            packet.time_base = fractions.Fraction(1, 10)
            container.mux(packet)
    return path
