"""One clip analysed exactly as ``formcheck analyze`` does, then saved to the history once.

A :class:`ClipWorker` lives as long as the batch (a Ray actor, one per core): it keeps the pose
model's bytes, read and checked once, and its connection to the history. Each clip still gets a
fresh landmarker built from those bytes, because the model's VIDEO mode tracks a person from
frame to frame and a clip's result must not depend on the clip analysed before it.

Nothing a clip does stops the batch: every failure comes back as a :class:`ClipOutcome` with a
one-line reason.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from formcheck.batch.identity import clip_identity
from formcheck.batch.inputs import ClipJob
from formcheck.pose.model_store import sha256_file
from formcheck.types import SIDE_CHOICES

Status = Literal["saved", "skipped", "failed", "analysed"]


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker of a batch shares.

    Attributes:
        model_name: The model's file name (named in each result, as ``analyze`` does).
        model_sha256: Part of each clip's identity.
        db_url: The history to save into; ``None`` analyses without saving (``--bench``).
        out_dir: Where each clip's result JSON (and annotated video) goes, if anywhere.
        annotate: Also write an annotated video per clip into ``out_dir``.
    """

    model_name: str
    model_sha256: str
    db_url: str | None = None
    out_dir: Path | None = None
    annotate: bool = False


@dataclass(frozen=True)
class ClipOutcome:
    """What became of one clip.

    Attributes:
        status: ``saved``; ``skipped`` (in the history already); ``failed``; ``analysed``
            (nothing saved: ``--bench``).
        reason: Why it failed or was skipped, in one line.
        result: The result JSON as ``formcheck analyze --json`` writes it.
    """

    name: str
    exercise: str
    status: Status
    reason: str = ""
    frames: int = 0
    reps: int = 0
    faults: int = 0
    session_id: int | None = None
    worker_pid: int = field(default_factory=os.getpid)
    seconds: float = 0.0
    result: dict[str, Any] | None = None


class ClipFailure(Exception):
    """A clip that cannot be analysed or saved; the message is its one-line reason."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


class ClipWorker:
    """Analyses clips one after another with one model and one history connection.

    Args:
        settings: The batch's shared settings.
        model_bytes: The pose model bundle's bytes.
    """

    def __init__(self, settings: WorkerSettings, model_bytes: bytes) -> None:
        self._settings = settings
        self._model = model_bytes
        self._store: Any = None
        if settings.db_url is not None:
            from formcheck.history.store import HistoryStore

            self._store = HistoryStore(settings.db_url)

    def pid(self) -> int:
        """This worker's process id (the tests stop one mid-batch)."""
        return os.getpid()

    def analyse(self, job: ClipJob, patient_id: int | None) -> ClipOutcome:
        """Analyse ``job``'s clip and save it for ``patient_id`` unless it is saved already."""
        started = time.perf_counter()
        try:
            outcome = self._analyse(job, patient_id)
        except ClipFailure as exc:
            outcome = ClipOutcome(job.name, job.exercise, "failed", str(exc))
        except Exception as exc:  # anything else in one clip must not stop the batch
            outcome = ClipOutcome(job.name, job.exercise, "failed", f"{type(exc).__name__}: {exc}")
        return _timed(outcome, time.perf_counter() - started)

    def close(self) -> None:
        """Release the history connection."""
        if self._store is not None:
            self._store.close()

    def _analyse(self, job: ClipJob, patient_id: int | None) -> ClipOutcome:
        from formcheck.analyze import analyze_recording
        from formcheck.history.errors import HistoryError
        from formcheck.history.from_result import spec_version
        from formcheck.pose.model_store import ModelInstallError
        from formcheck.results import NonFiniteNumberError, RunInfo, json_text, to_dict
        from formcheck.source.recording import RecordingError, open_recording
        from formcheck.specs.loader import SpecError, load_spec

        try:
            spec = load_spec(job.exercise)
        except SpecError as exc:
            raise ClipFailure(one_line(exc)) from None
        if job.side not in SIDE_CHOICES:
            raise ClipFailure(f"side {job.side!r} is not one of {', '.join(SIDE_CHOICES)}")
        if not job.clip.is_file():
            raise ClipFailure(f"no such file: {job.clip}")
        identity = clip_identity(
            sha256_file(job.clip), spec.id, spec_version(spec), self._settings.model_sha256
        )
        if self._store is not None and self._store.has_clip(identity):
            return ClipOutcome(job.name, spec.id, "skipped", "in the history already")
        started_at = datetime.now(UTC)
        try:
            recording = open_recording(job.clip)
            if recording.is_landmarks:
                raise ClipFailure(f"{job.clip} is a landmark file; a batch analyses videos")
            done = analyze_recording(
                spec,
                recording,
                Path(self._settings.model_name),
                side=job.side,  # narrowed to a SideChoice by the check above
                model_buffer=self._model,
            )
        except (RecordingError, ModelInstallError) as exc:
            raise ClipFailure(one_line(exc)) from None
        analysis = done.analysis
        data = to_dict(
            analysis.result,
            RunInfo(job.clip.name, done.duration_s, analysis.processing_s, done.model_name),
        )
        try:
            text = json_text(data)
        except NonFiniteNumberError as exc:
            raise ClipFailure(one_line(exc)) from None
        counts = {
            "frames": data["frames"],
            "reps": data["reps"]["count"],
            "faults": len(data["faults"]),
        }
        if not data.get("person_found", True):
            raise ClipFailure("no person was found in the video")
        self._write_outputs(job, text, spec, analysis)
        if self._store is None or patient_id is None:
            return ClipOutcome(job.name, spec.id, "analysed", result=data, **counts)
        from formcheck.history.from_result import context_for
        from formcheck.history.store import AlreadySavedError

        context = context_for(spec, "batch", started_at, datetime.now(UTC), clip_identity=identity)
        try:
            session_id = self._store.save_session(patient_id, data, context)
        except AlreadySavedError:
            return ClipOutcome(
                job.name, spec.id, "skipped", "saved meanwhile by another batch", **counts
            )
        except HistoryError as exc:
            raise ClipFailure(one_line(exc)) from None
        return ClipOutcome(job.name, spec.id, "saved", session_id=session_id, result=data, **counts)

    def _write_outputs(self, job: ClipJob, text: str, spec: Any, analysis: Any) -> None:
        """The result JSON (and the annotated video) into ``out_dir``, each written whole."""
        out = self._settings.out_dir
        if out is None:
            return
        stem = output_stem(job)
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{stem}.json"
        partial = target.with_name(target.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
        if self._settings.annotate:
            from formcheck.render.annotate import write_annotated
            from formcheck.source.video import VideoError

            video = out / f"{stem}.mp4"
            partial = video.with_name(video.stem + ".partial.mp4")
            try:
                write_annotated(job.clip, partial, spec, analysis)
            except VideoError as exc:
                partial.unlink(missing_ok=True)
                raise ClipFailure(f"the annotated video could not be written: {exc}") from None
            partial.replace(video)


def output_stem(job: ClipJob) -> str:
    """A file name stem unique within a batch: the clip's path with ``/`` as ``__``, then the
    exercise (the same clip may be analysed as two exercises)."""
    flat = job.name.replace("/", "__").replace("\\", "__")
    return f"{Path(flat).with_suffix('')}.{job.exercise}"


def _timed(outcome: ClipOutcome, seconds: float) -> ClipOutcome:
    from dataclasses import replace

    return replace(outcome, seconds=round(seconds, 3))
