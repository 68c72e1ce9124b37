"""Reading and writing video files (an I/O edge: PyAV, never imported by the core).

PyAV is used rather than OpenCV because it decodes AV1 phone clips, gives each frame its real
presentation timestamp (variable frame rate survives) and exposes rotation metadata, so portrait
phone videos come out upright.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

RgbImage = npt.NDArray[np.uint8]


class VideoError(Exception):
    """A video that cannot be read; the message is one line meant for the user."""


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int  # upright, after rotation
    height: int
    fps: float
    duration_s: float
    frame_count: int  # from the container; 0 when unknown
    rotation_deg: int


def _upright(image: RgbImage, rotation_deg: int) -> RgbImage:
    """Apply display rotation (degrees counter-clockwise, as FFmpeg reports it)."""
    turns = (rotation_deg // 90) % 4
    if turns == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=turns))


def probe(path: Path) -> VideoInfo:
    """Open ``path`` and describe its first video stream, or raise :class:`VideoError`."""
    if not path.exists():
        raise VideoError(f"no such file: {path}")
    if path.is_dir():
        raise VideoError(f"{path} is a folder, not a video file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path} has no video stream")
            stream = container.streams.video[0]
            rotation = 0
            first = None
            for frame in container.decode(stream):
                first = frame
                rotation = int(getattr(frame, "rotation", 0) or 0)
                break
            if first is None:
                raise VideoError(f"{path} contains no decodable video frames (empty or truncated)")
            fps = float(stream.average_rate or stream.guessed_rate or 0) or 30.0
            duration_s = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration_s = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration_s = container.duration / 1_000_000
            w, h = first.width, first.height
            if (rotation // 90) % 2:
                w, h = h, w
            return VideoInfo(path, w, h, fps, duration_s, int(stream.frames or 0), rotation)
    except VideoError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(f"{path} is not a readable video ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def iter_frames(path: Path) -> Iterator[tuple[float, RgbImage]]:
    """Yield ``(t_s, rgb)`` for every decodable frame, upright, timestamps strictly increasing.

    Frames whose timestamp does not advance (broken muxing) are skipped rather than reordered. A
    decoding error part-way (a truncated or damaged file) raises :class:`VideoError` naming how far
    decoding got, after the frames already yielded, so a caller can keep what it has.
    """
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(f"{path} is not a readable video ({_short(exc)})") from None
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = stream.time_base or Fraction(1, 1000)
        fallback_dt = 1.0 / (float(stream.average_rate or 0) or 30.0)
        last_t = -np.inf
        t0: float | None = None
        decoded = 0
        try:
            for index, frame in enumerate(container.decode(stream)):
                decoded = index + 1
                t = float(frame.pts * time_base) if frame.pts is not None else index * fallback_dt
                if t0 is None:
                    t0 = t
                t -= t0  # clips that start at a non-zero pts still start at 0 s
                if t <= last_t:
                    continue
                last_t = t
                rotation = int(getattr(frame, "rotation", 0) or 0)
                rgb: RgbImage = frame.to_ndarray(format="rgb24")  # type: ignore[assignment]
                yield t, _upright(rgb, rotation)
        except av.error.FFmpegError as exc:
            where = f"{last_t:.1f} s" if decoded else "the start"
            raise VideoError(
                f"{path} is truncated or damaged: decoding stopped after {decoded} frames, "
                f"at {where} ({_short(exc)})"
            ) from None
        expected = int(stream.frames or 0)
        if expected and decoded < 0.9 * expected:
            # The index promises frames whose data is missing: a file cut short while copying.
            raise VideoError(
                f"{path} is truncated: {decoded} of {expected} frames could be decoded"
            )


class VideoWriter:
    """Writes RGB frames to an H.264 MP4 that browsers play, with the given timestamps."""

    def __init__(self, path: Path, width: int, height: int, fps: float = 30.0) -> None:
        self._container = av.open(str(path), mode="w")
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        # H.264 in yuv420p needs even dimensions.
        self._stream.width = width - width % 2
        self._stream.height = height - height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": "23", "preset": "veryfast"}
        self._stream.codec_context.time_base = Fraction(1, 1000)
        self._last_ms = -1

    def write(self, rgb: RgbImage, t_s: float) -> None:
        h, w = self._stream.height, self._stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
        ms = max(round(t_s * 1000), self._last_ms + 1)
        self._last_ms = ms
        frame.pts = ms
        frame.time_base = Fraction(1, 1000)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
