"""Evaluate a folder of labelled real clips: landmarks (cached), the engine, the scores."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.analyze import replay_series
from formcheck.corpus.landmarks_cache import landmarks_for_clips
from formcheck.corpus.manifest import ClipLabel, load_manifest
from formcheck.corpus.score import ClipScore, score_clip, summarize
from formcheck.specs.loader import SpecError, load_spec


@dataclass
class CorpusReport:
    """The scores of a folder of labelled clips, and the clips not scored (with why)."""

    folder: str
    scores: list[ClipScore]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def summary(self) -> dict[str, Any]:
        """Totals over the scored clips (:func:`formcheck.corpus.score.summarize`)."""
        return summarize(self.scores)

    def by_file(self) -> dict[str, ClipScore]:
        """Each clip's score, by file name."""
        return {s.file: s for s in self.scores}

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON data: folder, totals, every clip and the skipped ones."""
        return {
            "folder": self.folder,
            "summary": self.summary(),
            "clips": [s.to_json() for s in self.scores],
            "skipped": [{"file": f, "reason": why} for f, why in self.skipped],
        }


def scoreable(
    labels: list[ClipLabel], folder: Path
) -> tuple[list[ClipLabel], list[tuple[str, str]]]:
    """The clips that can be scored, and why each other one cannot."""
    keep, skipped = [], []
    for label in labels:
        if label.spec is None:
            skipped.append((label.file, "no formcheck exercise fits this clip (spec: null)"))
        elif not (folder / label.file).is_file():
            skipped.append((label.file, "video file missing"))
        else:
            keep.append(label)
    return keep, skipped


def evaluate_corpus(
    folder: Path,
    model: Path,
    cache_dir: Path | None = None,
    jobs: int = 1,
    on_done: Callable[[Path], None] | None = None,
    check_model: Callable[[], object] | None = None,
    frame_step: int = 1,
    as_live: bool = False,
) -> CorpusReport:
    """Run every labelled clip of ``folder`` through the model (or the cache) and the engine.

    ``frame_step`` > 1 scores each clip from every ``frame_step``-th frame of its landmarks: how
    the engine fares with a camera giving a fraction of the clip's frame rate. ``as_live`` runs
    the model on each frame as the Practice page would receive it (640x480, VP8-compressed).
    """
    labels, skipped = scoreable(load_manifest(folder), folder)
    specs = {}
    for label in labels:
        try:
            specs[label.file] = load_spec(label.spec or "")
        except SpecError as exc:
            skipped.append((label.file, f"spec {label.spec!r} cannot be loaded: {exc}"))
    labels = [lb for lb in labels if lb.file in specs]
    series = landmarks_for_clips(
        [folder / lb.file for lb in labels],
        model,
        cache_dir,
        jobs=jobs,
        on_done=on_done,
        check_model=check_model,
        as_live=as_live,
    )
    scores = [
        score_clip(
            lb,
            specs[lb.file],
            replay_series(specs[lb.file], series[folder / lb.file].every(frame_step)),
        )
        for lb in labels
    ]
    return CorpusReport(str(folder), scores, skipped)
