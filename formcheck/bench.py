"""``formcheck bench``: the model's speed, the whole analysis's, and the analysis end to end.

The model and pipeline figures are over the same decoded frames held in memory, so decoding costs
neither. The model figure is the single-person landmarker making the outputs the exercise needs
(the segmentation mask too when the exercise reads the back's outline), with what any use of the
model needs (wrapping the image, converting the landmarks); the pipeline figure adds the back's
outline read from the mask, the periodic people count (multi-person handling), signals,
smoothing, view and side tracking, and the engine. The end-to-end figure is what ``formcheck
analyze`` does: the pose road from the file (:func:`formcheck.source.poses.video_poses`, decoding
ahead on a second thread) into the engine. Each is the best of ``repeats`` runs, taken in turn so
that a busy moment of the machine hits all three alike, with a fresh landmarker per run (VIDEO
mode needs increasing timestamps).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from formcheck.analyze import needs_back_curve, run_poses
from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
from formcheck.source.poses import frame_poses, video_poses
from formcheck.source.video import iter_frames
from formcheck.specs.schema import ExerciseSpec


def benchmark(video: Path, spec: ExerciseSpec, model: Path, repeats: int = 3) -> dict[str, Any]:
    """Frames a second of the model, the pipeline and the end-to-end analysis on ``video``.

    Raises:
        ValueError: The video holds no frames.
    """
    frames = list(iter_frames(video))
    if not frames:
        raise ValueError(f"{video} has no frames")
    back_curve = needs_back_curve(spec)
    model_s: list[float] = []
    pipeline_s: list[float] = []
    end_to_end_s: list[float] = []
    for _ in range(max(1, repeats)):
        # The model alone: the single-person landmarker with the mask when the exercise reads
        # it, no people-count scans and no reading of the outline (both are analysis).
        with MediaPipePoseBackend(
            model, scan_every_s=0, back_curve=False, segmentation_masks=back_curve
        ) as backend:
            start = time.perf_counter()
            for t_s, rgb in frames:
                backend.detect(rgb, t_s)
            model_s.append(time.perf_counter() - start)
        with MediaPipePoseBackend(model, back_curve=back_curve) as backend:
            start = time.perf_counter()
            run_poses(spec, frame_poses(frames, backend, ahead=False))
            pipeline_s.append(time.perf_counter() - start)
        with video_poses(video, model, back_curve) as poses:
            poses.load_model()  # off the clock, as for the other two figures
            start = time.perf_counter()
            run_poses(spec, poses)
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
        "segmentation_mask": back_curve,
        "model_fps": round(model_fps, 1),
        "pipeline_fps": round(pipeline_fps, 1),
        "ratio": round(pipeline_fps / model_fps, 3),
        "end_to_end_fps": round(end_to_end_fps, 1),
        "end_to_end_ratio": round(end_to_end_fps / model_fps, 3),
        "repeats": repeats,
    }
