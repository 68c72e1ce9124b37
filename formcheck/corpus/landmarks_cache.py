"""Landmarks of many clips: the pose model run once per clip (a process pool), cached on disk.

A cached file is keyed by the video's and the model's sha256 and by ``EXTRACTION_VERSION``, so a
changed clip, another model or a change in how landmarks are extracted never reuses stale
landmarks. After an engine change the whole corpus is re-scored from the cache in seconds.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from formcheck.landmarks import LandmarkSeries
from formcheck.pose.model_store import sha256_file

# Bump when the backend's output for the same video and model changes (tracking, people count).
EXTRACTION_VERSION = 2


def cache_key(video: Path, model_sha256: str, as_live: bool = False) -> str:
    """A short key naming the video's content, the model, the extraction code and whether the
    frames went through :func:`formcheck.corpus.as_live.as_received_live`."""
    text = f"{sha256_file(video)}:{model_sha256}:{EXTRACTION_VERSION}"
    if as_live:
        from formcheck.corpus.as_live import AS_LIVE_VERSION

        text += f":as-live-{AS_LIVE_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached_path(cache_dir: Path, video: Path, model_sha256: str, as_live: bool = False) -> Path:
    """Where the landmarks of ``video`` found by this model are kept in ``cache_dir``."""
    kind = ".live" if as_live else ""
    return cache_dir / f"{video.stem}{kind}.{cache_key(video, model_sha256, as_live)}.npz"


def extract_landmarks(video: Path, model: Path, as_live: bool = False) -> LandmarkSeries:
    """Run the pose model over every decoded frame of ``video`` (the tracked person's landmarks),
    or over each frame as the Practice page would receive it (``as_live``)."""
    from formcheck.source.poses import video_poses

    with video_poses(video, model, as_live=as_live) as poses:
        for _ in poses:
            pass
        return poses.series()


def _extract_to(video: Path, model: Path, out: Path | None, as_live: bool) -> LandmarkSeries:
    series = extract_landmarks(video, model, as_live)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        # A fresh name created here (O_EXCL: never an existing file or a planted link), then
        # renamed: a killed run never leaves a half-written cache entry.
        tmp = out.with_name(f".fc-{secrets.token_hex(6)}.npz")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        os.close(os.open(tmp, flags, 0o600))
        try:
            series.save(tmp)
            tmp.replace(out)
        finally:
            tmp.unlink(missing_ok=True)
    return series


def landmarks_for_clips(
    videos: Sequence[Path],
    model: Path,
    cache_dir: Path | None = None,
    jobs: int = 1,
    on_done: Callable[[Path], None] | None = None,
    check_model: Callable[[], object] | None = None,
    as_live: bool = False,
) -> dict[Path, LandmarkSeries]:
    """Landmarks of each video, from the cache where present, else from the model.

    Args:
        videos: The clips.
        model: The pose model bundle.
        cache_dir: Where cached landmarks live; None runs the model every time.
        jobs: Worker processes for clips not in the cache (one model per process).
        on_done: Called with each video as its landmarks become available.
        check_model: Called once before the model is first needed (it raises if the model
            cannot be used); re-scoring from a full cache never calls it.
        as_live: Each frame as the Practice page receives a camera's (cached apart).
    """
    model_sha = sha256_file(model)
    out: dict[Path, LandmarkSeries] = {}
    todo: list[tuple[Path, Path | None]] = []
    for video in videos:
        target = cached_path(cache_dir, video, model_sha, as_live) if cache_dir else None
        if target is not None and target.exists():
            try:
                out[video] = LandmarkSeries.load(target)
            except ValueError:
                todo.append((video, target))  # unreadable entry: extract again
                continue
            if on_done:
                on_done(video)
        else:
            todo.append((video, target))
    if not todo:
        return out
    if check_model is not None:
        check_model()
    if jobs <= 1 or len(todo) == 1:
        for video, target in todo:
            out[video] = _extract_to(video, model, target, as_live)
            if on_done:
                on_done(video)
        return out
    # Spawned (not forked) workers: each loads its own MediaPipe runtime cleanly.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(_extract_to, v, model, t, as_live): v for v, t in todo}
        for future in as_completed(futures):
            video = futures[future]
            out[video] = future.result()
            if on_done:
                on_done(video)
    return out
