"""The Review page's work, without Streamlit: checking a clip, analysing it, tabulating the result.

A clinician picks a sample clip or uploads one; :func:`analyse_video` runs the same analysis as
``formcheck analyze`` (a fresh pose model per clip, because the model's VIDEO mode tracks one clip's
timestamps) and renders the annotated video; the table and CSV helpers turn the result into what
the page shows and offers for download.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import string
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.analyze import Analysis, analyze_recording
from formcheck.engine.session import FrameState, SessionResult
from formcheck.results import RunInfo, to_dict
from formcheck.signals.catalog import SIGNALS, shown_decimals
from formcheck.source.recording import RecordingError, open_recording
from formcheck.source.video import VideoError
from formcheck.specs.schema import ExerciseSpec
from formcheck.types import NotJudgedReason, SideChoice

VIDEO_SUFFIXES: tuple[str, ...] = ("mp4", "mov", "webm", "avi", "mkv")
MAX_UPLOAD_MB = 200
# Share of the progress bar given to finding the pose; drawing the annotated video takes the rest.
ANALYSIS_SHARE = 0.85

Progress = Callable[[float, str], None]  # fraction 0..1, what is happening


def samples_dir() -> Path:
    """``$FORMCHECK_SAMPLES_DIR`` or the repository's ``sample_videos/`` folder. The rendered
    samples are test material and are not installed with the package, so outside a checkout
    this folder does not exist (the Review page says so)."""
    env = os.environ.get("FORMCHECK_SAMPLES_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "sample_videos"


def list_samples(folder: Path) -> list[Path]:
    """Video files in ``folder`` (not recursive), sorted by name; empty if it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower().lstrip(".") in VIDEO_SUFFIXES
    )


def markdown_literal(text: str) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it exactly as written.

    Uploaded file names are chosen by whoever sends the file: rendered as Markdown, a name such as
    ``![x](https:example.org).mp4`` would make the browser fetch that address. Every ASCII
    punctuation mark is backslash-escaped (CommonMark shows an escaped mark as itself) and line
    breaks become spaces, so a name can start no block of its own.
    """
    flat = " ".join(text.splitlines())
    return "".join("\\" + c if c in string.punctuation else c for c in flat)


def upload_problem(name: str, size_bytes: int, max_mb: int = MAX_UPLOAD_MB) -> str | None:
    """Why an uploaded file cannot be analysed, or ``None`` if its name and size are fine.

    The content is checked afterwards by decoding it (:func:`formcheck.source.video.probe`);
    this only catches what can be told without reading the file.
    """
    suffix = Path(name).suffix.lower().lstrip(".")
    allowed = ", ".join(VIDEO_SUFFIXES)
    if not suffix:
        return f"{name} has no file extension; upload a video file ({allowed})."
    if suffix not in VIDEO_SUFFIXES:
        return f"{name} is a .{suffix} file; upload a video file ({allowed})."
    if size_bytes <= 0:
        return f"{name} is empty (0 bytes)."
    limit = max_mb * 1024 * 1024
    if size_bytes > limit:
        return (
            f"{name} is {size_bytes / 1024 / 1024:.0f} MB; the limit is {max_mb} MB. "
            "Trim the clip or export it at a lower resolution."
        )
    return None


def user_message(error: VideoError, path: Path, name: str) -> str:
    """A decoding error as the user should read it: their file name, not a temporary path."""
    full = str(path)
    text = str(error).replace(full, name)
    # The reason in brackets is cut at a fixed length and may hold the path cut short too.
    for cut in range(len(full) - 1, 7, -1):
        if full[:cut] in text:
            text = text.replace(full[:cut], name + "...")
            break
    # FFmpeg's numeric error codes mean nothing to a reader.
    return re.sub(r"\[Errno -?\d+\]\s*", "", text)


@dataclass
class Review:
    """One analysed clip, everything the page shows and offers.

    Attributes:
        spec: The exercise it was analysed as.
        source: The clip's name.
        analysis: States per frame, landmarks and the session result.
        report: The JSON result (:func:`formcheck.results.to_dict`).
        duration_s: Length of the clip.
        annotated_mp4: The annotated video, or ``None`` if it could not be written.
        annotate_error: Why not, when it could not.
    """

    spec: ExerciseSpec
    source: str
    analysis: Analysis
    report: dict[str, Any]
    duration_s: float
    annotated_mp4: bytes | None
    annotate_error: str | None = None

    @property
    def result(self) -> SessionResult:
        """The engine's result for the clip."""
        return self.analysis.result

    def json_bytes(self) -> bytes:
        """The JSON result as the bytes of a file (indented, UTF-8)."""
        return (json.dumps(self.report, indent=2) + "\n").encode("utf-8")

    def csv_bytes(self) -> bytes:
        """Every frame's state as the bytes of a CSV file."""
        return frames_csv(self.spec, self.analysis.states).encode("utf-8")

    def stem(self) -> str:
        """A file name stem for downloads, e.g. ``squat_box_squat``."""
        return f"{Path(self.source).stem}_{self.spec.id}"


def analyse_video(
    spec: ExerciseSpec,
    path: Path,
    model_path: Path,
    source: str | None = None,
    side: SideChoice = "auto",
    progress: Progress | None = None,
) -> Review:
    """Analyse a clip and render its annotated video.

    Args:
        spec: The exercise.
        path: The video file.
        model_path: The pose model bundle.
        source: Name to report (default: the file name).
        side: ``"auto"``, ``"left"`` or ``"right"``.
        progress: Called with the fraction done and a short description.

    Raises:
        VideoError: The file is not a video that can be decoded, or has no frames.
    """
    from formcheck.render.annotate import write_annotated

    name = source or path.name
    report_progress = progress or (lambda _f, _t: None)
    try:
        recording = open_recording(path)
    except RecordingError as exc:
        raise VideoError(str(exc)) from None
    total_s = recording.duration_s if recording.duration_s > 0 else math.inf

    def on_frame(t_s: float) -> None:
        report_progress(ANALYSIS_SHARE * min(t_s / total_s, 1.0), f"Finding the pose: {t_s:.1f} s")

    report_progress(0.0, "Loading the pose model")
    try:
        done = analyze_recording(spec, recording, model_path, side, on_frame, source=name)
    except RecordingError as exc:
        raise VideoError(str(exc)) from None
    analysis, duration = done.analysis, done.duration_s
    report = to_dict(
        analysis.result, RunInfo(name, duration, analysis.processing_s, done.model_name)
    )

    report_progress(ANALYSIS_SHARE, "Drawing the annotated video")
    annotated: bytes | None = None
    error: str | None = None
    with tempfile.TemporaryDirectory(prefix="formcheck-review-") as tmp:
        out = Path(tmp) / "annotated.mp4"
        try:
            write_annotated(path, out, spec, analysis)
            annotated = out.read_bytes()
        except (VideoError, OSError, ValueError) as exc:
            # The numbers are still valid without the video; say what went wrong instead.
            error = f"The annotated video could not be written ({exc})."
    report_progress(1.0, "Done")
    return Review(spec, name, analysis, report, duration, annotated, error)


def signal_label(name: str) -> str:
    """``"knee_flexion_deg"`` -> ``"Knee flexion (deg)"``."""
    unit = SIGNALS[name].unit if name in SIGNALS else ""
    words = name
    for suffix in ("_deg", "_thigh", "_torso"):
        if words.endswith(suffix):
            words = words[: -len(suffix)]
    text = words.replace("_", " ").capitalize()
    return f"{text} ({unit})" if unit else text


def signal_number(name: str, value: float) -> str:
    """A signal's value without its unit (:func:`signal_label` names it)."""
    return f"{value:.{shown_decimals(SIGNALS[name].unit if name in SIGNALS else '')}f}"


def _peak_key_signal(
    spec: ExerciseSpec, states: Sequence[FrameState], start_s: float, end_s: float
) -> float:
    """The largest value of the spec's key angle during a rep (the knee bend of a squat), which
    is what a clinician reads, whatever signal the engine counted the rep on."""
    values = [
        v
        for s in states
        if start_s <= s.t_s <= end_s
        and not math.isnan(v := s.signals.get(spec.key_signal, math.nan))
    ]
    return max(values) if values else math.nan


def rep_rows(
    spec: ExerciseSpec, result: SessionResult, states: Sequence[FrameState] | None = None
) -> list[dict[str, Any]]:
    """One row per rep: timing, the peak of the key angle, good or not, and its faults.

    With ``states`` the peak is the key signal's; without, the counted signal's own peak.
    """
    messages = {r.id: r.message for r in spec.rules}
    name = spec.key_signal if states is not None else (spec.reps.signal if spec.reps else "")
    peak = f"Peak {signal_label(name).lower()}" if name else "Peak"
    decimals = shown_decimals(SIGNALS[name].unit if name in SIGNALS else "")
    reported = spec.reps.report if spec.reps else []
    rows = []
    for rep in result.reps:
        value = (
            _peak_key_signal(spec, states, rep.start_s, rep.end_s)
            if states is not None
            else rep.peak_value
        )
        row: dict[str, Any] = {
            "Rep": rep.index,
            "Start (s)": round(rep.start_s, 1),
            "End (s)": round(rep.end_s, 1),
            "Duration (s)": round(rep.end_s - rep.start_s, 1),
            peak: None if math.isnan(value) else round(value, decimals),
        }
        for measure in reported:
            v = rep.measures.get(measure, math.nan)
            digits = shown_decimals(SIGNALS[measure].unit) or None  # whole degrees as ints
            row[f"Most {signal_label(measure).lower()}"] = (
                None if math.isnan(v) else round(v, digits)
            )
        row["Result"] = "Good" if rep.good else "Needs work"
        row["Faults"] = "; ".join(messages.get(f, f) for f in rep.faults) or "none"
        rows.append(row)
    # Movements the exercise's cross-check rejected are shown too, so the count can be trusted.
    for n in result.not_counted:
        rows.append(
            {
                "Rep": None,
                "Start (s)": round(n.start_s, 1),
                "End (s)": round(n.end_s, 1),
                "Duration (s)": round(n.end_s - n.start_s, 1),
                "Result": "Not counted",
                "Faults": n.reason,
            }
        )
    rows.sort(key=lambda r: r["Start (s)"])
    return rows


def hold_rows(spec: ExerciseSpec, result: SessionResult) -> list[dict[str, Any]]:
    """One row per hold, with whether it reached the prescribed time."""
    target = spec.prescription.hold_s
    rows = []
    for number, hold in enumerate(result.holds, 1):
        row: dict[str, Any] = {
            "Hold": number,
            "Side": hold.side,
            "Start (s)": round(hold.start_s, 1),
            "End (s)": round(hold.end_s, 1),
            "Held (s)": round(hold.duration_s, 1),
        }
        if target:
            row[f"Reached {target:g} s"] = "yes" if hold.duration_s >= target else "no"
        rows.append(row)
    return rows


def hold_totals(result: SessionResult) -> list[dict[str, Any]]:
    """Per side: number of holds, the longest and the total time held."""
    by_side: dict[str, list[float]] = {}
    for hold in result.holds:
        by_side.setdefault(hold.side, []).append(hold.duration_s)
    return [
        {
            "Side": side,
            "Holds": len(durations),
            "Longest (s)": round(max(durations), 1),
            "Total (s)": round(sum(durations), 1),
        }
        for side, durations in sorted(by_side.items())
    ]


def fault_rows(result: SessionResult) -> list[dict[str, Any]]:
    """Every fault interval, in time order."""
    return [
        {
            "Start (s)": round(f.start_s, 1),
            "End (s)": round(f.end_s, 1),
            "Check": f.rule,
            "Level": f.severity,
            "Message": f.message,
        }
        for f in result.faults
    ]


def frames_csv(spec: ExerciseSpec, states: list[FrameState]) -> str:
    """Per-frame CSV: time, the engine's status, and every signal of the spec (blank if unknown)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    status = ["t_s", "assessable", "reason", "view", "side", "phase", "rep_count", "hold_s"]
    writer.writerow(status + list(spec.signals))
    for s in states:
        values = []
        for name in spec.signals:
            v = s.signals.get(name, math.nan)
            values.append("" if math.isnan(v) else f"{v:.2f}")
        writer.writerow(
            [
                f"{s.t_s:.3f}",
                int(s.assessable),
                s.reason or "",
                s.view,
                s.side,
                s.phase or "",
                s.rep_count,
                f"{s.hold_s:.2f}",
                *values,
            ]
        )
    return buffer.getvalue()


def not_assessed(states: list[FrameState]) -> list[tuple[NotJudgedReason, float]]:
    """Why frames could not be judged: ``(reason, fraction of all frames)``, commonest first."""
    if not states:
        return []
    counts: dict[NotJudgedReason, int] = {}
    for s in states:
        if not s.assessable and s.reason:
            counts[s.reason] = counts.get(s.reason, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [(reason, n / len(states)) for reason, n in ranked]
