"""Where the checkout, its sample videos and the real clips are."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import platformdirs

REPO = Path(__file__).resolve().parents[2]
CLIPS_DIR = REPO.parent / "shared" / "clips"
SAMPLE_CLIP = REPO / "sample_videos" / "box_squat_side_clean.mp4"  # rendered, 15.2 s
# Landmarks of the real and rendered clips the tests run through the model, keyed by the video's
# and the model's sha256 and the extraction version (formcheck/corpus/landmarks_cache.py), so a
# stale entry is never used. Kept in the user's cache folder, so every checkout on this machine
# (a fresh clone in CI too) reuses them; $FORMCHECK_LANDMARKS_CACHE puts them elsewhere.
LANDMARKS_CACHE = Path(
    os.environ.get("FORMCHECK_LANDMARKS_CACHE")
    or Path(platformdirs.user_cache_dir("formcheck", appauthor=False)) / "landmarks"
)


def clips_manifest() -> list[dict[str, Any]]:
    """The real clips' manifest entries, or none when the clips are absent."""
    path = CLIPS_DIR / "manifest.json"
    if not path.exists():
        return []
    data: list[dict[str, Any]] = json.loads(path.read_text())
    return data
