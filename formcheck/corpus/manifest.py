"""The labels manifest of a folder of real clips (``manifest.json``), validated with pydantic."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MANIFEST_NAME = "manifest.json"


class ManifestError(ValueError):
    """The manifest is missing, not JSON, or an entry lacks what scoring needs."""


class ClipLabel(BaseModel):
    """One clip's hand labels. Only the fields scoring reads are declared; others are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    file: str
    exercise: str = ""  # the labeller's own name for what is done
    spec: str | None = None  # the formcheck exercise the clip exercises; None: none fits
    view: str = "unknown"
    rep_count: int | None = Field(default=None, ge=0)
    hold_seconds: float | None = Field(default=None, ge=0)
    # rule id -> fault present; only rules the labeller was sure of ({} is "unknown", not "none").
    expect_faults: dict[str, bool] = Field(default_factory=dict)
    faults_seen: list[str] = Field(default_factory=list)
    whole_body_visible: bool = True
    confidence: str = "unknown"
    description: str = ""


def load_manifest(folder: Path) -> list[ClipLabel]:
    """The clips of ``folder/manifest.json``, in the manifest's order."""
    path = folder / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"no {MANIFEST_NAME} in {folder}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path} cannot be read: {exc}") from None
    if not isinstance(raw, list):
        raise ManifestError(f"{path}: expected a list of clip entries, got {type(raw).__name__}")
    labels = []
    for i, entry in enumerate(raw):
        try:
            labels.append(ClipLabel.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ManifestError(f"{path}: entry {i} {where}: {first['msg']}") from None
    return labels
