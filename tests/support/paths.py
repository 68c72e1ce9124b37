"""Where the checkout, its sample videos and the real clips are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLIPS_DIR = REPO.parent / "shared" / "clips"
SAMPLE_CLIP = REPO / "sample_videos" / "box_squat_side_clean.mp4"  # rendered, 15.2 s


def clips_manifest() -> list[dict[str, Any]]:
    """The real clips' manifest entries, or none when the clips are absent."""
    path = CLIPS_DIR / "manifest.json"
    if not path.exists():
        return []
    data: list[dict[str, Any]] = json.loads(path.read_text())
    return data
