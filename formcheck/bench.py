"""``formcheck bench``: the bare model's speed, the whole analysis's, and the analysis end to end.

The model and pipeline figures are over the same decoded frames held in memory, so decoding costs
neither. The model figure includes what any use of the model needs (wrapping the image,
converting the landmarks); the pipeline figure adds the segmentation mask and the back's outline
read from it, the periodic people count (multi-person handling), signals, smoothing, view and
side tracking, and the engine. The end-to-end figure is what ``formcheck analyze`` does: the
pipeline fed straight from the file, decoding included (on a second thread, see
:mod:`formcheck.prefetch`). Each is the best of ``repeats`` runs, taken in turn so that a busy
moment of the machine hits all three alike, with a fresh landmarker per run (VIDEO mode needs
increasing timestamps).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from formcheck.analyze import needs_back_curve, run_frames
from formcheck.engine.session import ExerciseSession
from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
from formcheck.specs.schema import ExerciseSpec
from formcheck.video import iter_frames


def benchmark(video: Path, spec: ExerciseSpec, model: Path, repeats: int = 3) -> dict[str, Any]:
    frames = list(iter_frames(video))
    if not frames:
        raise ValueError(f"{video} has no frames")
    back_curve = needs_back_curve(spec)
    model_s: list[float] = []
    pipeline_s: list[float] = []
    end_to_end_s: list[float] = []
    for _ in range(max(1, repeats)):
        # The bare model: the single-person landmarker alone, no people-count scans and no
        # segmentation mask (the back's outline is part of the analysis, so it is measured in
        # the pipeline figure).
        with MediaPipePoseBackend(model, scan_every_s=0, back_curve=False) as backend:
            start = time.perf_counter()
            for t_s, rgb in frames:
                backend.detect(rgb, t_s)
            model_s.append(time.perf_counter() - start)
        with MediaPipePoseBackend(model, back_curve=back_curve) as backend:
            session = ExerciseSession(spec)
            start = time.perf_counter()
            for t_s, rgb in frames:
                session.update(t_s, backend.detect(rgb, t_s))
            session.finish()
            pipeline_s.append(time.perf_counter() - start)
        with MediaPipePoseBackend(model, back_curve=back_curve) as backend:
            start = time.perf_counter()
            run_frames(spec, iter_frames(video), backend)
            end_to_end_s.append(time.perf_counter() - start)
    n = len(frames)
    model_fps = n / min(model_s)
    pipeline_fps = n / min(pipeline_s)
    end_to_end_fps = n / min(end_to_end_s)
    h, w = frames[0][1].shape[:2]
    return {
        "video": video.name,
        "exercise": spec.id,
        "frames": n,
        "resolution_wh": [w, h],
        "model_fps": round(model_fps, 1),
        "pipeline_fps": round(pipeline_fps, 1),
        "ratio": round(pipeline_fps / model_fps, 3),
        "end_to_end_fps": round(end_to_end_fps, 1),
        "end_to_end_ratio": round(end_to_end_fps / model_fps, 3),
        "repeats": repeats,
    }
