"""The clips a batch analyses: every video in a folder, or the rows of a CSV manifest.

A folder holds one exercise (``--exercise``) and one patient's clips (``--patient``), found in
its subfolders too. A manifest is a CSV file with a header naming at least ``clip``, ``patient``
and ``exercise`` (``side`` optional: left, right or auto); clip paths are relative to the
manifest. What is wrong with the arguments or the manifest as a whole is a
:class:`BatchInputError` (exit status 2); what is wrong with one row (an unknown exercise, a
missing file) is that clip's failure, found by the worker, and the batch goes on.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".webm", ".avi", ".mkv", ".m4v"})
MANIFEST_COLUMNS = ("clip", "patient", "exercise")


class BatchInputError(Exception):
    """The batch cannot start: a missing source, a manifest without its columns, ..."""


@dataclass(frozen=True)
class ClipJob:
    """One clip to analyse as one exercise for one patient.

    Attributes:
        clip: The video file.
        name: How the clip is named in messages and outputs (its path under the source).
        patient: The patient's name in the history (``""`` when nothing is saved).
        exercise: The exercise id, checked by the worker.
        side: ``auto``, ``left`` or ``right``, checked by the worker.
    """

    clip: Path
    name: str
    patient: str
    exercise: str
    side: str = "auto"


def find_jobs(
    source: Path, exercise: str | None, patient: str | None, need_patient: bool = True
) -> list[ClipJob]:
    """The clips of ``source`` (a folder or a ``.csv`` manifest), in a stable order.

    Raises:
        BatchInputError: no such source, a folder without ``--exercise`` (or ``--patient`` when
            results are saved), a manifest with options that it overrides, or one that cannot be
            read or lacks a column.
    """
    if source.is_dir():
        return _folder_jobs(source, exercise, patient, need_patient)
    if not source.exists():
        raise BatchInputError(f"no such folder or manifest: {source}")
    if source.suffix.lower() != ".csv":
        raise BatchInputError(f"{source} is neither a folder of clips nor a .csv manifest")
    if exercise or patient:
        raise BatchInputError(
            "--exercise and --patient are for a folder; a manifest names them on each row"
        )
    return _manifest_jobs(source)


def _folder_jobs(
    folder: Path, exercise: str | None, patient: str | None, need_patient: bool
) -> list[ClipJob]:
    if not exercise:
        raise BatchInputError(
            f"{folder} is a folder: give its exercise with --exercise ID (or use a manifest)"
        )
    if need_patient and not patient:
        raise BatchInputError(
            f"{folder} is a folder: give the patient whose clips these are with --patient NAME"
        )
    clips = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith(".")
    )
    if not clips:
        suffixes = ", ".join(sorted(VIDEO_SUFFIXES))
        raise BatchInputError(f"no video files ({suffixes}) in {folder}")
    return [ClipJob(p, p.relative_to(folder).as_posix(), patient or "", exercise) for p in clips]


def _manifest_jobs(manifest: Path) -> list[ClipJob]:
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
            columns = [c.strip() for c in (rows[0].keys() if rows else [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BatchInputError(f"cannot read the manifest {manifest}: {exc}") from None
    if not rows:
        raise BatchInputError(f"{manifest} has no rows under a header clip,patient,exercise")
    missing = [c for c in MANIFEST_COLUMNS if c not in columns]
    if missing:
        raise BatchInputError(
            f"{manifest} lacks the column(s) {', '.join(missing)}: its header must name "
            "clip,patient,exercise (and optionally side)"
        )
    jobs = []
    for row in rows:
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        clip = cells["clip"]
        jobs.append(
            ClipJob(
                manifest.parent / clip,
                clip,
                cells["patient"],
                cells["exercise"],
                cells.get("side") or "auto",
            )
        )
    return jobs
