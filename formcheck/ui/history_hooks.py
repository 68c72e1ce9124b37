"""Saving to the chosen patient's history from the pages: a practice set when it ends, a clip
once the Review page has analysed it.

Each is written once, in one transaction, when it is complete; the pages call these functions on
every run and the record in the session's state says it is done. Without a patient nothing is
saved and the page says how to keep a history (choosing one afterwards saves the set still on
screen). A database failure is one message with a button to try again; the set stays on the page
and in its JSON download, so nothing recorded is lost. A set's video, when the patient recorded
one, is listed with the set and gets its final name only once the set is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from formcheck.history.errors import HistoryError
from formcheck.history.from_result import SessionContext, context_for
from formcheck.history.records import Patient
from formcheck.specs.schema import ExerciseSpec
from formcheck.ui import patient as patient_ui
from formcheck.ui.review import markdown_literal, samples_dir

if TYPE_CHECKING:
    from formcheck.ui.live import LiveSummary
    from formcheck.ui.recording import FrameRecorder
    from formcheck.ui.review import Review

PRACTICE_KEY = "history_practice_saved"
PRACTICE_ENDED_KEY = "history_practice_ended"  # (summary, when the page first saw it end)
REVIEW_KEY = "history_review_saved"
REVIEW_WANTED_KEY = "history_review_wanted"


@dataclass(frozen=True)
class Saved:
    """One attempt at saving ``item`` (a summary or a review) for ``patient``, with the set's
    video if one was recorded (``recording_error``: why it could not be kept once saved)."""

    item: object
    patient: Patient
    result: dict[str, Any]
    context: SessionContext
    session_id: int | None
    error: str | None = None
    recording: FrameRecorder | None = None
    recording_error: str | None = None


def _save(
    item: object,
    patient: Patient,
    result: dict[str, Any],
    context: SessionContext,
    recording: FrameRecorder | None = None,
) -> Saved:
    try:
        session_id = patient_ui.store().save_session(patient.id, result, context)
    except HistoryError as exc:
        return Saved(item, patient, result, context, None, str(exc), recording)
    problem = None
    if recording is not None:
        # Renamed after the set is saved: a crash in between leaves a .partial that a later run
        # removes, never a video that no saved set lists.
        try:
            recording.keep()
        except OSError as exc:
            problem = exc.strerror or str(exc)
    return Saved(item, patient, result, context, session_id, None, recording, problem)


def _retry(key: str) -> None:
    last: Saved = st.session_state[key]
    st.session_state[key] = _save(
        last.item, last.patient, last.result, last.context, last.recording
    )


def _show(saved: Saved, key: str, what: str) -> None:
    name = patient_ui.shown_name(saved.patient)
    if saved.error is None:
        st.caption(f"Saved to {name}'s history.")
        _show_recording(saved)
        return
    st.warning(
        f"This {what} could not be saved to {name}'s history: "
        f"{markdown_literal(saved.error)}. "
        "It is still here: try again, or download it as JSON."
    )
    st.button("Try saving again", on_click=_retry, args=(key,), key=f"{key}_retry")


def _show_recording(saved: Saved) -> None:
    if saved.recording_error is not None:
        st.warning(
            f"The video of this set could not be kept: {markdown_literal(saved.recording_error)}."
        )
    elif saved.recording is not None and saved.recording.kept:
        skipped = saved.recording.dropped
        note = f" ({skipped} frames skipped while the computer was busy)" if skipped else ""
        st.caption(f"Recorded: {markdown_literal(saved.recording.path.name)}{note}")


def _video_for(recording: FrameRecorder | None, patient: Patient) -> FrameRecorder | None:
    """``recording`` closed, if it holds video of this patient's set."""
    if recording is None or recording.patient_id != patient.id or recording.close() is None:
        return None
    return recording


def practice_set_ended(
    spec: ExerciseSpec, summary: LiveSummary, recording: FrameRecorder | None = None
) -> Saved | None:
    """Save a finished (or stopped-for-pain) practice set once and say where it went.

    The set ends when the page first shows it ended (a patient chosen later does not move it);
    its clock stops while the camera is off, so its start is the end less the time it ran.
    ``recording`` is the set's video, if the patient recorded one: it is listed with the set
    when saved for the patient it was recorded for, and otherwise left to its caller to discard.
    """
    seen = st.session_state.get(PRACTICE_ENDED_KEY)
    if seen is None or seen[0] is not summary:
        seen = (summary, datetime.now(UTC))
        st.session_state[PRACTICE_ENDED_KEY] = seen
    saved: Saved | None = st.session_state.get(PRACTICE_KEY)
    if saved is None or saved.item is not summary:
        patient = patient_ui.current()
        if patient is None:
            st.caption(patient_ui.not_saved_text())
            return None
        ended = seen[1]
        started = ended - timedelta(seconds=summary.duration_s)
        video = _video_for(recording, patient)
        context = context_for(
            spec, "practice", started, ended, recording_path=video.path if video else None
        )
        saved = _save(summary, patient, summary.report, context, video)
        st.session_state[PRACTICE_KEY] = saved
    _show(saved, PRACTICE_KEY, "set")
    return saved


def review_save_wanted() -> bool:
    """The "save to <patient>'s history" check box (on by default); False without a patient."""
    patient = patient_ui.current()
    if patient is None:
        st.caption(patient_ui.not_saved_text())
        return False
    return st.checkbox(
        f"Save to {patient_ui.shown_name(patient)}'s history", value=True, key=REVIEW_WANTED_KEY
    )


def _in_samples(path: Path) -> bool:
    """Is ``path`` one of the sample clips (a link in the folder counts, wherever it points)?"""
    return path.absolute().is_relative_to(samples_dir().absolute())


def review_analysed(review: Review, clip: Path, wanted: bool) -> Saved | None:
    """Save an analysed clip once, when wanted, and say where it went.

    A sample clip is saved under its full path, so a report made later can take a still frame
    from it; an upload is deleted with the browser session, so only its name is kept.
    """
    saved: Saved | None = st.session_state.get(REVIEW_KEY)
    if saved is None or saved.item is not review:
        patient = patient_ui.current()
        if not wanted or patient is None:
            return None
        result = dict(review.report)
        if _in_samples(clip):
            result["source"] = str(clip.resolve())
        ended = datetime.now(UTC)
        started = ended - timedelta(seconds=review.analysis.processing_s)
        saved = _save(review, patient, result, context_for(review.spec, "review", started, ended))
        st.session_state[REVIEW_KEY] = saved
    _show(saved, REVIEW_KEY, "clip")
    return saved
