"""The annotated video: the clip decoded again and each frame drawn with its engine state."""

from __future__ import annotations

from pathlib import Path

import av

from formcheck.analyze import Analysis
from formcheck.feedback import CuePicker
from formcheck.render.overlay import draw_overlay
from formcheck.source.prefetch import prefetch
from formcheck.source.video import VideoError, VideoInfo, VideoWriter, iter_frames, probe
from formcheck.specs.schema import ExerciseSpec

# Containers that take the H.264 stream VideoWriter encodes (PyAV picks one by the extension).
ANNOTATED_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv")

# libx264 refuses a frame with a side under 2 pixels (measured: 2x2 encodes, 1x100 does not).
MIN_SIDE_PX = 2


def check_annotatable(info: VideoInfo, out: Path) -> None:
    """Refuse, before any analysis, a video or an output name the annotated video cannot use.

    Raises:
        VideoError: The output's extension is not a container for H.264, or the video is too
            small to encode.
    """
    if out.suffix.lower() not in ANNOTATED_SUFFIXES:
        raise VideoError(
            f"the annotated video's name must end in {', '.join(ANNOTATED_SUFFIXES)} "
            f"(the containers it can be written in), not {out.suffix or 'nothing'}"
        )
    if min(info.width, info.height) < MIN_SIDE_PX:
        raise VideoError(
            f"{info.path} is {info.width}x{info.height} pixels, too small for an annotated video "
            f"(at least {MIN_SIDE_PX}x{MIN_SIDE_PX})"
        )


def write_annotated(video: Path, out: Path, spec: ExerciseSpec, analysis: Analysis) -> None:
    """Write ``out`` (H.264; the container follows its extension) from ``video`` and the states
    of an analysis of it.

    Raises:
        VideoError: ``video`` cannot be decoded again, or the encoder or ``out`` fails; the
            message says which.
    """
    info = probe(video)
    check_annotatable(info, out)
    picker = CuePicker(spec)
    states = {round(s.t_s, 4): (i, s) for i, s in enumerate(analysis.states)}
    try:
        writer = VideoWriter(out, info.width, info.height, info.fps)
    except (av.error.FFmpegError, ValueError) as exc:  # ValueError: PyAV's container checks
        raise VideoError(f"the annotated video could not be started ({_first_line(exc)})") from None
    try:
        with writer:
            # Decoding on a second thread overlaps with drawing and encoding.
            for t_s, rgb in prefetch(iter_frames(video)):
                found = states.get(round(t_s, 4))
                if found is None:
                    continue
                i, state = found
                cue = picker.update(state)
                frame = draw_overlay(
                    rgb, analysis.series.frame(i), state, spec, cue.text if cue else None
                )
                writer.write(frame, t_s)
    except av.error.FFmpegError as exc:  # the encoder or the disk, not the input (VideoError)
        raise VideoError(f"the annotated video could not be written ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
