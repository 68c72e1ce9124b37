"""Review page: a clinician analyses a recorded clip and gets the video, plots, tables and files."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from formcheck.feedback import reason_text, unchecked_text
from formcheck.report.trends import default_period, plans_for
from formcheck.source.video import VideoError, probe
from formcheck.specs.schema import ExerciseSpec
from formcheck.types import SIDE_CHOICES, SideChoice
from formcheck.ui import history_hooks, uploads
from formcheck.ui import patient as patient_ui
from formcheck.ui.library import not_checked_lines
from formcheck.ui.plots import timeline_figure
from formcheck.ui.report_download import report_download
from formcheck.ui.resources import model_path_or_none, specs_or_stop
from formcheck.ui.review import (
    MAX_UPLOAD_MB,
    VIDEO_SUFFIXES,
    Review,
    analyse_video,
    fault_rows,
    hold_rows,
    hold_totals,
    list_samples,
    markdown_literal,
    not_assessed,
    rep_rows,
    samples_dir,
    upload_problem,
    user_message,
)
from formcheck.ui.webrtc import live_server

UPLOAD = "Upload a clip"
SAMPLE = "Use a sample video"
RESULT_KEY = "review_result"
UPLOAD_DIR_KEY = "review_upload_dir"
UPLOAD_PATH_KEY = "review_upload_path"

_LOG = logging.getLogger(__name__)


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def _session_is_live(session_id: str) -> bool:
    from streamlit.runtime import Runtime

    return Runtime.instance().is_active_session(session_id)


# Streamlit drops a session-scoped resource when its browser session disconnects (tab closed,
# connection lost) and calls ``on_release`` then: the documented end-of-session hook. A session
# that reconnects gets a new folder, and the page writes its clip again from the upload it holds.
@st.cache_resource(
    scope="session",
    on_release=uploads.remove_folder,
    validate=lambda folder: folder.is_dir(),
    show_spinner=False,
)
def _session_upload_folder() -> Path:
    if live_server():
        uploads.sweep(_session_is_live)  # folders of sessions that ended while a script ran
    return uploads.new_private_folder(_session_id())


def _discard_upload() -> None:
    """Delete this session's clip from disk (the upload was removed or a sample was chosen)."""
    saved = st.session_state.pop(UPLOAD_PATH_KEY, None)
    if saved:
        Path(saved).unlink(missing_ok=True)


def _saved_upload() -> tuple[Path, str, str] | None:
    """The uploaded clip saved to disk as ``(path, name, identity)``, or ``None`` with a message."""
    uploaded = st.file_uploader(
        f"Upload a clip ({', '.join(VIDEO_SUFFIXES)}; up to {MAX_UPLOAD_MB} MB)",
        # No ``type=`` filter: Streamlit would then reject other files with a bare exception;
        # the check below says what is wrong in plain words instead.
        max_upload_size=MAX_UPLOAD_MB,
        key="review_upload",
    )
    if uploaded is None:
        _discard_upload()
        return None
    # The browser and the server's upload route both apply the limit; it is checked here again
    # before anything is written, and while writing, whatever the upload claims.
    problem = upload_problem(uploaded.name, uploaded.size, MAX_UPLOAD_MB)
    if problem:
        _discard_upload()
        st.error(markdown_literal(problem))
        return None
    folder = _session_upload_folder()
    st.session_state[UPLOAD_DIR_KEY] = str(folder)
    # The stored name is Streamlit's id for the upload, never the user's file name.
    path = folder / f"{uploaded.file_id}{Path(uploaded.name).suffix.lower()}"
    if not path.is_file():
        uploaded.seek(0)  # it may have been read before, into a folder since removed
        try:
            uploads.save_clip(folder, path.name, uploaded, MAX_UPLOAD_MB * 1024 * 1024)
        except uploads.UploadTooLarge:
            st.error(markdown_literal(f"{uploaded.name} is larger than {MAX_UPLOAD_MB} MB."))
            return None
        except OSError as exc:
            st.error(f"The upload could not be stored on this computer ({exc.strerror}).")
            return None
        st.session_state[UPLOAD_PATH_KEY] = str(path)
    return path, uploaded.name, uploaded.file_id


def _choose_clip() -> tuple[Path, str, str] | None:
    folder = samples_dir()
    samples = list_samples(folder)
    if samples:
        kind = st.radio("Clip", [SAMPLE, UPLOAD], horizontal=True, key="review_source")
    else:
        kind = UPLOAD
        st.caption(
            f"No sample clips in `{folder.name}/` (they come with a checkout of formcheck), "
            "so upload a clip."
        )
    if kind == SAMPLE:
        _discard_upload()
        path = st.selectbox(
            "Sample video", samples, format_func=lambda p: p.name, key="review_sample"
        )
        return (path, path.name, str(path)) if path else None
    return _saved_upload()


def _cannot_analyse(reason: str) -> None:
    st.error(markdown_literal(f"This file cannot be analysed: {reason}"))


def _check_video(path: Path, name: str) -> bool:
    """Decode the clip's first frame; show what it is, or why it cannot be used."""
    try:
        info = probe(path)
    except VideoError as exc:
        _cannot_analyse(user_message(exc, path, name))
        return False
    except OSError as exc:
        _cannot_analyse(f"{name} could not be read ({exc.strerror}).")
        return False
    st.caption(
        markdown_literal(
            f"{name}: {info.duration_s:.1f} s, {info.width}x{info.height}, {info.fps:.0f} frames/s"
        )
    )
    return True


def _run_analysis(spec: ExerciseSpec, path: Path, name: str, side: SideChoice) -> Review | None:
    model_path, problem = model_path_or_none()
    if model_path is None:
        st.error(problem)
        return None
    bar = st.progress(0.0, text="Starting")
    shown = {"pct": -1}

    def progress(fraction: float, text: str) -> None:
        pct = int(fraction * 100)
        if pct != shown["pct"]:  # one message per percent is plenty for the browser
            shown["pct"] = pct
            bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    try:
        review = analyse_video(spec, path, model_path, source=name, side=side, progress=progress)
    except VideoError as exc:
        bar.empty()
        _cannot_analyse(user_message(exc, path, name))
        return None
    except Exception as exc:
        # The page's boundary: whatever else a damaged clip sets off is one message here and a
        # traceback in the server's log, never a traceback on the page.
        _LOG.exception("analysing %s failed", name)
        bar.empty()
        _cannot_analyse(
            f"the analysis stopped with an unexpected error ({type(exc).__name__}); "
            "the details are in the app's log."
        )
        return None
    bar.empty()
    return review


def _summary_metrics(review: Review) -> None:
    data = review.report
    cols = st.columns(4)
    if review.spec.kind == "reps":
        cols[0].metric("Reps", data["reps"]["count"])
        cols[1].metric("Good reps", data["reps"]["good"])
        cols[2].metric("Faulty reps", data["reps"]["faulty"])
    else:
        holds = review.result.holds
        cols[0].metric("Holds", len(holds))
        cols[1].metric("Longest hold", f"{max((h.duration_s for h in holds), default=0):.1f} s")
        target = review.spec.prescription.hold_s
        cols[2].metric("Target", f"{target:g} s" if target else "-")
    cols[3].metric("Frames judged", f"{data['assessable_fraction']:.0%}")
    st.caption(
        f"Camera view: {data['view']}; working side: {data['side']}; "
        f"{data['frames']} frames over {data['duration_s']:.1f} s."
    )
    missing = not_assessed(review.analysis.states)
    if missing and missing[0][1] > 0.2:
        reason, share = missing[0]
        st.info(
            f"{share:.0%} of the frames could not be judged, mostly because: "
            f"{reason_text(reason, review.spec)}"
        )
    rules = {r.id: r for r in review.spec.rules}
    for rule_id, share in review.result.rules_unchecked.items():
        # A rule the view could not judge is not a pass: say so, with how much it missed.
        if share > 0.2 and rule_id in rules:
            st.info(f"{unchecked_text(rules[rule_id])} (not checked {share:.0%} of the time)")
    unseen = not_checked_lines(review.spec)
    if unseen:
        # Never judged by the camera in any view: the clinician should look at the clip for it.
        st.caption("Not checked by the camera in this exercise: " + " ".join(unseen))


def _table(rows: list[dict[str, Any]], empty: str) -> None:
    if rows:
        # Times to a tenth of a second; whole numbers stay whole.
        st.table(pd.DataFrame(rows).style.format(precision=1), hide_index=True)
    else:
        st.markdown(empty)


def _show(review: Review) -> None:
    spec = review.spec
    st.subheader(markdown_literal(f"{spec.title}: {review.source}"))
    _summary_metrics(review)
    video_col, plot_col = st.columns([2, 3], gap="large")
    with video_col:
        if review.annotated_mp4:
            st.video(review.annotated_mp4, format="video/mp4")
        else:
            st.warning(review.annotate_error or "No annotated video.")
    with plot_col:
        st.plotly_chart(
            timeline_figure(spec, review.analysis.states, review.result),
            width="stretch",
            key="review_timeline",
        )
    if spec.kind == "reps":
        st.markdown("**Reps**")
        _table(
            rep_rows(spec, review.result, review.analysis.states),
            "No reps were counted in this clip.",
        )
    if spec.kind == "hold" or review.result.holds:
        st.markdown("**Holds per side**")
        _table(hold_totals(review.result), "No holds in this clip.")
    if review.result.holds:
        with st.expander("Every hold"):
            _table(hold_rows(spec, review.result), "No holds.")
    with st.expander(f"Fault intervals ({len(review.result.faults)})"):
        _table(fault_rows(review.result), "No faults.")
    st.markdown("**Downloads**")
    a, b, c = st.columns(3)
    stem = review.stem()
    a.download_button(
        "Result (JSON)", review.json_bytes(), f"{stem}.json", "application/json", on_click="ignore"
    )
    b.download_button(
        "Angles per frame (CSV)",
        review.csv_bytes(),
        f"{stem}_frames.csv",
        "text/csv",
        on_click="ignore",
    )
    if review.annotated_mp4:
        c.download_button(
            "Annotated video (MP4)",
            review.annotated_mp4,
            f"{stem}_annotated.mp4",
            "video/mp4",
            on_click="ignore",
        )


def _history(review: Review, clip: Path, wanted: bool, specs: dict[str, ExerciseSpec]) -> None:
    """Save the analysed clip to the chosen patient's history and offer their report."""
    saved = history_hooks.review_analysed(review, clip, wanted)
    patient = patient_ui.current()
    if patient is None:
        return
    st.markdown("**Clinician report** (the last four weeks of this patient's history)")
    # The clip may be an upload the history does not keep: its still frames come from here.
    videos = {saved.session_id: clip} if saved is not None and saved.session_id else {}
    period = default_period(date.today())
    report_download(patient, period, plans_for(specs), key="review_report", videos=videos)


def render() -> None:
    """Draw the Review page."""
    st.title("Review a recording")
    st.markdown(
        "For clinicians: analyse a recorded clip of an exercise. You get the video with the "
        "skeleton and angles drawn on it, the key angle over time, every rep with its faults, "
        "hold times per side, and the results as files. The clip is analysed on this computer."
    )
    specs = specs_or_stop()
    ids = list(specs)
    left, right = st.columns(2)
    with left:
        exercise = st.selectbox(
            "Exercise", ids, format_func=lambda i: specs[i].title, key="review_exercise"
        )
    spec = specs[exercise]
    side: SideChoice = "auto"
    if spec.sides != "none":
        with right:
            side = st.selectbox("Working side", SIDE_CHOICES, key="review_side") or "auto"
    clip = _choose_clip()
    if clip is None:
        return
    path, name, identity = clip
    if not _check_video(path, name):
        return
    key = (identity, spec.id, side)
    stored: tuple[tuple[str, str, str], Review] | None = st.session_state.get(RESULT_KEY)
    save_wanted = history_hooks.review_save_wanted()
    if st.button("Analyse", type="primary", key="review_analyse"):
        review = _run_analysis(spec, path, name, side)
        if review is None:
            return
        stored = (key, review)
        st.session_state[RESULT_KEY] = stored
    if stored is not None and stored[0] == key:
        _show(stored[1])
        _history(stored[1], path, save_wanted, specs)
    elif stored is not None:
        st.caption("The last result was for another clip, exercise or side: press Analyse.")
