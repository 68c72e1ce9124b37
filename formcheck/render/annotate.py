"""The annotated video: the clip decoded again and each frame drawn with its engine state."""

from __future__ import annotations

from pathlib import Path

from formcheck.analyze import Analysis
from formcheck.feedback import CuePicker
from formcheck.render.overlay import draw_overlay
from formcheck.specs.schema import ExerciseSpec
from formcheck.video import VideoWriter, iter_frames, probe


def write_annotated(video: Path, out: Path, spec: ExerciseSpec, analysis: Analysis) -> None:
    """Write ``out`` (H.264 MP4) from ``video`` and the states of an analysis of it."""
    info = probe(video)
    picker = CuePicker(spec)
    states = {round(s.t_s, 4): (i, s) for i, s in enumerate(analysis.states)}
    with VideoWriter(out, info.width, info.height, info.fps) as writer:
        for t_s, rgb in iter_frames(video):
            found = states.get(round(t_s, 4))
            if found is None:
                continue
            i, state = found
            cue = picker.update(state)
            frame = draw_overlay(
                rgb, analysis.series.frame(i), state, spec, cue.text if cue else None
            )
            writer.write(frame, t_s)
