"""Reading and writing video files (an I/O edge: PyAV, never imported by the core).

PyAV is used rather than OpenCV because it decodes AV1 phone clips, gives each frame its real
presentation timestamp (variable frame rate survives) and exposes rotation metadata, so portrait
phone videos come out upright.

Frame size is bounded on the way in. A stream whose header declares more than ``MAX_SIDE_PX`` a
side or ``MAX_PIXELS`` in all (or under ``MIN_SIDE_PX`` a side) is refused before any frame is
decoded, and the decoder itself is told to refuse larger frames, so a 3 MB file cannot make it
allocate gigabytes. Frames are then scaled down to ``MODEL_MAX_SIDE_PX`` on their longest side
during the conversion to RGB; smaller frames come out exactly as decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from formcheck.landmarks import MAX_IMAGE_SIDE_PX

RgbImage = npt.NDArray[np.uint8]

# Largest frame accepted: a side of 8192 px, and 4096x2304 pixels in all (4K UHD and DCI 4K fit).
# Peak memory of a whole 3 s analysis, mostly the decoder's reference frames: 4096x2304 560-690 MB
# (VP9, HEVC, AV1); 4096x3072 640-810 MB (H.264, HEVC, AV1); 6144x3456 860-930 MB; 8192x4320
# HEVC 1.1 GB. Longer clips add about 3 KB a frame, so the 1 GiB budget stops at 4K. A
# 16000x16000 MJPEG of 7.5 MB peaks at 3.9 GB without this check.
MAX_SIDE_PX = MAX_IMAGE_SIDE_PX
MAX_PIXELS = 4096 * 2304
# Too small to show a person (a 1x1 clip also broke the annotated H.264 output).
MIN_SIDE_PX = 16
# The decoder's own ceiling, for streams whose header says nothing or understates the size. It
# counts the width rounded up to the decoder's alignment, so it is set above MAX_PIXELS: every
# frame the size check accepts fits under it, and a larger one is refused before allocation.
_DECODER_MAX_PIXELS = 2 * MAX_PIXELS
# Longest side of the frames handed on. The pose model resizes its input to 224 px to find the
# person and crops 256 px around them for the landmarks, so 1920 (full HD) loses nothing a
# person filling a fifth of the frame needs, and keeps a 4K frame's RGB copy, the segmentation
# mask and the overlay at full-HD cost. On a sample clip rescaled to 3840x2160 the scaled frames
# gave the same reps at the same times as full-resolution ones, landmarks 0.7 px apart (median,
# in the 1920-wide frame), and the analysis ran 1.4 times faster.
MODEL_MAX_SIDE_PX = 1920


class VideoError(Exception):
    """A video that cannot be read; the message is one line meant for the user."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds: the size of the frames as read, frame rate, length, frame count and
    rotation."""

    path: Path
    width: int  # of the frames iter_frames yields: upright, scaled to MODEL_MAX_SIDE_PX
    height: int
    fps: float
    duration_s: float
    frame_count: int  # from the container; 0 when unknown
    rotation_deg: int
    recorded_wh: tuple[int, int] = (0, 0)  # upright, as recorded (before any scaling)


def _check_size(path: Path, width: int, height: int) -> None:
    """:class:`VideoError` when a frame of ``width`` x ``height`` is outside the bounds."""
    if width > MAX_SIDE_PX or height > MAX_SIDE_PX or width * height > MAX_PIXELS:
        raise VideoError(
            f"{path} has frames of {width}x{height} pixels; formcheck reads videos up to "
            f"{MAX_SIDE_PX} pixels a side and {MAX_PIXELS / 1e6:.1f} million pixels a frame "
            "(4096x2304): record in 4K or lower"
        )
    if min(width, height) < MIN_SIDE_PX:
        raise VideoError(
            f"{path} has frames of {width}x{height} pixels, too small to show a person "
            f"(at least {MIN_SIDE_PX} pixels a side)"
        )


def _open_stream(path: Path, container: av.container.InputContainer) -> av.VideoStream:
    """The first video stream, its declared size checked and the decoder's ceiling set."""
    if not container.streams.video:
        raise VideoError(f"{path} has no video stream")
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width > 0 and height > 0:  # 0: not in the header; the decoded frames are checked
        _check_size(path, width, height)
    stream.codec_context.options = {"max_pixels": str(_DECODER_MAX_PIXELS)}
    return stream


def _model_size(width: int, height: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled so the longest side is at most ``MODEL_MAX_SIDE_PX``."""
    longest = max(width, height)
    if longest <= MODEL_MAX_SIDE_PX:
        return width, height
    scale = MODEL_MAX_SIDE_PX / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _rgb(frame: av.VideoFrame) -> RgbImage:
    """The frame as RGB, scaled down to ``MODEL_MAX_SIDE_PX`` (area averaging) when larger."""
    width, height = _model_size(frame.width, frame.height)
    if (width, height) == (frame.width, frame.height):
        rgb: RgbImage = frame.to_ndarray(format="rgb24")  # type: ignore[assignment]
        return rgb
    scaled = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA")
    small: RgbImage = scaled.to_ndarray()  # type: ignore[assignment]
    return small


def _decode_failure(
    path: Path, stream: av.VideoStream, exc: av.error.FFmpegError, otherwise: str
) -> str:
    """Raise the size error when the decoder knows a frame over the bounds stopped it; else the
    words for what went wrong (``otherwise``), naming the size ceiling when it may be the cause."""
    width, height = stream.codec_context.width, stream.codec_context.height
    if width > 0 and height > 0:
        _check_size(path, width, height)
    if isinstance(exc, av.error.ArgumentError):  # what the decoder's pixel ceiling returns
        return f"is damaged or has a frame over {MAX_SIDE_PX} pixels a side"
    return otherwise


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
            stream = _open_stream(path, container)
            rotation = 0
            first = None
            try:
                for frame in container.decode(stream):
                    first = frame
                    rotation = int(getattr(frame, "rotation", 0) or 0)
                    break
            except av.error.FFmpegError as exc:
                what = _decode_failure(path, stream, exc, "is not a readable video")
                raise VideoError(f"{path} {what} ({_short(exc)})") from None
            if first is None:
                raise VideoError(f"{path} contains no decodable video frames (empty or truncated)")
            _check_size(path, first.width, first.height)
            fps = float(stream.average_rate or stream.guessed_rate or 0) or 30.0
            duration_s = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration_s = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration_s = container.duration / 1_000_000
            w, h = _model_size(first.width, first.height)
            recorded = (first.width, first.height)
            if (rotation // 90) % 2:
                w, h = h, w
                recorded = recorded[::-1]
            return VideoInfo(
                path, w, h, fps, duration_s, int(stream.frames or 0), rotation, recorded
            )
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
    decoding got, after the frames already yielded, so a caller can keep what it has. Frames
    over the size bounds raise :class:`VideoError` before they are decoded where the header tells
    their size; frames larger than ``MODEL_MAX_SIDE_PX`` come out scaled down.
    """
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(f"{path} is not a readable video ({_short(exc)})") from None
    with container:
        stream = _open_stream(path, container)
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
                _check_size(path, frame.width, frame.height)
                yield t, _upright(_rgb(frame), rotation)
        except av.error.FFmpegError as exc:
            what = _decode_failure(path, stream, exc, "is truncated or damaged")
            where = f"{last_t:.1f} s" if decoded else "the start"
            raise VideoError(
                f"{path} {what}: decoding stopped after {decoded} frames, "
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
        """Add one frame shown at ``t_s`` seconds (kept strictly after the last frame, to the
        millisecond)."""
        h, w = self._stream.height, self._stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
        ms = max(round(t_s * 1000), self._last_ms + 1)
        self._last_ms = ms
        frame.pts = ms
        frame.time_base = Fraction(1, 1000)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        """Flush the encoder and close the file."""
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
