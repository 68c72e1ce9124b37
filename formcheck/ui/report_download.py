"""The clinician report on a page: a button makes the PDF, a second one downloads it.

Making it takes a second or two (plots, still frames), so it is done when asked rather than on
every run, and a failure is one message on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from formcheck.history.errors import HistoryError
from formcheck.history.records import Patient
from formcheck.report.trends import Period, Plan
from formcheck.ui import patient as patient_ui
from formcheck.ui.review import markdown_literal

REPORT_KEY = "report_pdf"  # key -> (what it was made for, PDF bytes)

_LOG = logging.getLogger(__name__)


def make_report(
    patient: Patient, period: Period, plans: Mapping[str, Plan], videos: Mapping[int, Path]
) -> bytes:
    """The report of ``patient`` over ``period`` from the store.

    Raises:
        HistoryError: the history cannot be read.
    """
    from formcheck.report.pdf import ReportData, build_pdf

    since, until = period.bounds()
    sessions = patient_ui.store().sessions(patient.id, since=since, until=until)
    return build_pdf(ReportData(patient, period, sessions, plans, videos))


def report_download(
    patient: Patient,
    period: Period,
    plans: Mapping[str, Plan],
    key: str,
    videos: Mapping[int, Path] | None = None,
) -> None:
    """The "Make the clinician report" button and, once made, "Download the report (PDF)".

    Args:
        patient: Whose report.
        period: The days it covers.
        plans: Each exercise's prescription.
        key: Distinguishes the pages' buttons.
        videos: Session id -> a video of it the history does not name (the clip just reviewed).
    """
    videos = dict(videos or {})
    made_for = (patient.id, period, tuple(sorted(videos.items())))
    if st.button("Make the clinician report (PDF)", key=f"{key}_make"):
        try:
            with st.spinner("Making the report..."):
                pdf = make_report(patient, period, plans, videos)
        except HistoryError as exc:
            st.error(f"The report could not be made: {markdown_literal(str(exc))}.")
            return
        except Exception as exc:
            # The page's boundary: one message here, the traceback in the server's log.
            _LOG.exception("making the report of patient %s failed", patient.id)
            st.error(f"The report could not be made ({type(exc).__name__}); see the app's log.")
            return
        st.session_state[f"{REPORT_KEY}_{key}"] = (made_for, pdf)
    ready = st.session_state.get(f"{REPORT_KEY}_{key}")
    if ready is not None and ready[0] == made_for:
        name = f"{patient_ui.file_stem(patient)}_report_{period.first}_{period.last}.pdf"
        st.download_button(
            "Download the report (PDF)", ready[1], name, "application/pdf",
            on_click="ignore", key=f"{key}_download", type="primary",
        )  # fmt: skip
