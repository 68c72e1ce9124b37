"""Still frames of faults for the report, taken from a session's recording or reviewed clip.

A set is kept as video only when the patient switched recording on (``recording_path``); a clip
reviewed from the sample folder or analysed from a path is named in ``clip``; the page that has
just analysed an upload passes its file. When none of them is still on disk the report says so.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from formcheck.history.records import StoredSession
from formcheck.report.trends import FaultExample, FaultTally
from formcheck.source.video import VideoError, probe

# Big enough to see a posture on paper at 5 cm wide, small enough to keep the PDF light.
STILL_MAX_SIDE_PX = 480
JPEG_QUALITY = 80
# Videos that fail to give a frame are tried this many times per fault, so a damaged file
# cannot hold the report up.
MAX_DECODE_ATTEMPTS = 3


@dataclass(frozen=True)
class Still:
    """A JPEG of one fault, and where it was taken."""

    jpeg: bytes
    example: FaultExample
    video: Path


def video_for(session: StoredSession, extra: Mapping[int, Path]) -> Path | None:
    """The video of ``session`` still on disk: one the caller knows of, its recording, or its
    clip when that names a file by its full path."""
    candidates = [extra.get(session.id), session.recording_path]
    if session.clip and Path(session.clip).is_absolute():
        candidates.append(session.clip)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _thumbnail_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, STILL_MAX_SIDE_PX / max(width, height))
    # Even sides: some pixel formats refuse odd ones when scaling.
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


def frame_at(path: Path, t_s: float) -> np.ndarray | None:
    """The first frame at or after ``t_s`` seconds from the video's first frame (the clock the
    analysis used), upright and scaled to :data:`STILL_MAX_SIDE_PX`; ``None`` when the video
    cannot be read or ends before.

    The decoder jumps to the key frame before ``t_s`` instead of decoding from the start, so an
    hour-long recording costs no more than a short clip.
    """
    try:
        info = probe(path)  # refuses absurd frame sizes before decoding anything
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base
            if time_base is None:
                return None
            start = stream.start_time or 0
            target = start + int(t_s / time_base)
            container.seek(max(target, start), stream=stream, backward=True)
            size = None
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts < target:
                    continue
                size = size or _thumbnail_size(frame.width, frame.height)
                rgb = frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
                turns = (info.rotation_deg // 90) % 4
                return np.ascontiguousarray(np.rot90(rgb, k=turns)) if turns else rgb
    except (VideoError, av.error.FFmpegError, OSError, ValueError):
        return None
    return None


def jpeg_bytes(rgb: np.ndarray) -> bytes:
    """An RGB image encoded as JPEG (``JPEG_QUALITY``)."""
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def still_for(tally: FaultTally, extra: Mapping[int, Path]) -> Still | None:
    """A still of the newest time ``tally``'s fault was seen on a video that still exists."""
    videos: dict[int, Path | None] = {}
    attempts = 0
    for example in tally.examples:
        session_id = example.session.id
        if session_id not in videos:
            videos[session_id] = video_for(example.session, extra)
        video = videos[session_id]
        if video is None:
            continue
        rgb = frame_at(video, example.t_s)
        if rgb is not None:
            return Still(jpeg_bytes(rgb), example, video)
        attempts += 1
        if attempts >= MAX_DECODE_ATTEMPTS:
            break
    return None
