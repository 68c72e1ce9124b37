"""What makes two analyses of a clip the same one: the clip's bytes, the exercise, the spec's
content and the pose model. A batch skips a clip whose identity is in the history already, and
the history's unique index on it keeps two overlapping batches from both saving it."""

from __future__ import annotations

import hashlib


def clip_identity(clip_sha256: str, exercise: str, spec_hash: str, model_sha256: str) -> str:
    """One 64-hex-digit identity for a clip analysed as ``exercise`` under this spec and model."""
    text = f"clip={clip_sha256};exercise={exercise};spec={spec_hash};model={model_sha256}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
