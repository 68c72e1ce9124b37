"""The patient whose history the app keeps, chosen or added in the sidebar and shared by the pages.

Profiles are names or codes on this computer, with no accounts. The choice lives in the browser
session's state, so two tabs can follow two patients. The store is opened once per server
process and database URL (``st.cache_resource``; SQLAlchemy engines are thread-safe), never per
frame. Looking at the app creates no database: the default SQLite file appears when the first
patient is added. A database that cannot be opened is reported once in the sidebar and not tried
again until asked, so the pages keep working without a history.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from formcheck.history.database import resolve_url
from formcheck.history.errors import HistoryError
from formcheck.history.records import Patient
from formcheck.history.store import MAX_NAME_CHARS, HistoryStore
from formcheck.ui.review import markdown_literal

CHOICE_KEY = "patient_choice"  # the sidebar's select box: a patient id or None
# The choice again, in plain state: Streamlit can drop a widget's state (seen when the camera
# component starts a run), and the select box is then rebuilt from this.
CHOSEN_KEY = "patient_chosen_id"
CURRENT_KEY = "patient_current"  # the chosen Patient, set on every full run of the sidebar
NEW_NAME_KEY = "patient_new_name"
NOTICE_KEY = "patient_notice"  # (kind, text) shown once after adding or deleting
FAILED_KEY = "patient_history_failed"  # why the database could not be used
EXPORT_KEY = "patient_export"  # (patient id, JSON bytes, CSV zip bytes)
CONFIRM_KEY = "patient_confirm_delete"

NO_PATIENT = "Choose or add a patient to keep a history."


def store_exists(url: str) -> bool:
    """False only for a SQLite file that has not been created yet."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return True  # opening it gives the error in words
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return True
    return Path(str(parsed.database)).expanduser().exists()


@st.cache_resource(show_spinner=False, validate=lambda s: store_exists(s.url))
def _open(url: str) -> HistoryStore:
    # A failure raises and is not cached: the next call tries again.
    return HistoryStore(url)


def store() -> HistoryStore:
    """The history store (``$FORMCHECK_DB`` or the local file), opened once per process.

    Raises:
        HistoryError: it cannot be opened; the message is one line.
    """
    return _open(resolve_url())


def current() -> Patient | None:
    """The patient chosen in the sidebar, if any."""
    patient: Patient | None = st.session_state.get(CURRENT_KEY)
    return patient


def not_saved_text() -> str:
    """Why a page saves nothing now, in a sentence: no patient, or no history."""
    if FAILED_KEY in st.session_state:
        return "Not saved: the history is not available (see the sidebar)."
    return f"Not saved. {NO_PATIENT}"


def shown_name(patient: Patient) -> str:
    """The name escaped for Markdown: typed by a person, it is shown exactly as written and
    can make the browser fetch nothing."""
    return markdown_literal(patient.name)


def file_stem(patient: Patient) -> str:
    """A safe file name stem for downloads about ``patient``."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", patient.name).strip("_")
    return stem or f"patient_{patient.id}"


def _failed(exc: HistoryError) -> None:
    st.session_state[FAILED_KEY] = str(exc)


def _patients() -> list[Patient] | None:
    """Every profile, ``[]`` before the database exists, ``None`` when it cannot be read."""
    if FAILED_KEY in st.session_state:
        return None
    if not store_exists(resolve_url()):
        return []
    try:
        return store().patients()
    except HistoryError as exc:
        _failed(exc)
        return None


def _choose(patient_id: int | None) -> None:
    """Make ``patient_id`` the choice; the select box takes it up on its next run."""
    st.session_state[CHOSEN_KEY] = patient_id
    st.session_state.pop(CHOICE_KEY, None)


def _chosen() -> None:
    st.session_state[CHOSEN_KEY] = st.session_state.get(CHOICE_KEY)


def _add() -> None:
    name = str(st.session_state.get(NEW_NAME_KEY, "")).strip()
    if not name:
        st.session_state[NOTICE_KEY] = ("error", "Type a name or a code first.")
        return
    try:
        patient = store().add_patient(name)
    except HistoryError as exc:
        st.session_state[NOTICE_KEY] = ("error", f"Not added: {markdown_literal(str(exc))}.")
        return
    _choose(patient.id)
    st.session_state[NOTICE_KEY] = ("success", f"Added {shown_name(patient)}.")


def prepare_export(patient: Patient) -> tuple[bytes, bytes]:
    """Everything kept about ``patient``: (JSON, zip of CSV tables)."""
    from formcheck.history.export import patient_csv_zip, patient_json

    history = store()
    text = json.dumps(patient_json(history, patient), indent=2) + "\n"
    return text.encode("utf-8"), patient_csv_zip(history, patient)


def _export(patient: Patient) -> None:
    try:
        json_bytes, zip_bytes = prepare_export(patient)
    except HistoryError as exc:
        st.session_state[NOTICE_KEY] = (
            "error",
            f"The export failed: {markdown_literal(str(exc))}.",
        )
        return
    st.session_state[EXPORT_KEY] = (patient.id, json_bytes, zip_bytes)


def _delete(patient: Patient) -> None:
    try:
        deleted = store().delete_patient(patient.id)
    except HistoryError as exc:
        st.session_state[NOTICE_KEY] = (
            "error",
            f"Nothing was deleted: {markdown_literal(str(exc))}.",
        )
        return
    recordings = len(deleted.recordings_removed)
    st.session_state[NOTICE_KEY] = (
        "success",
        f"Deleted {shown_name(patient)} (id {patient.id}): {deleted.sessions} saved sessions and "
        f"{recordings} recordings.",
    )
    _choose(None)
    st.session_state[CONFIRM_KEY] = False
    st.session_state.pop(EXPORT_KEY, None)


def _retry() -> None:
    st.session_state.pop(FAILED_KEY, None)


def _notice() -> None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        kind, text = notice
        (st.success if kind == "success" else st.error)(text)


def _my_data(patient: Patient) -> None:
    with st.expander("Export or delete this patient's data"):
        st.button("Prepare the export", on_click=_export, args=(patient,), key="patient_export_go")
        ready = st.session_state.get(EXPORT_KEY)
        if ready and ready[0] == patient.id:
            stem = file_stem(patient)
            st.download_button(
                "Download all (JSON)", ready[1], f"{stem}_history.json", "application/json",
                on_click="ignore", key="patient_export_json",
            )  # fmt: skip
            st.download_button(
                "Download all (CSV tables, zip)", ready[2], f"{stem}_history.zip",
                "application/zip", on_click="ignore", key="patient_export_csv",
            )  # fmt: skip
        confirmed = st.checkbox(
            f"Yes, delete {shown_name(patient)} (id {patient.id}) and every saved session for good",
            key=CONFIRM_KEY,
        )
        st.button(
            "Delete this patient's data", on_click=_delete, args=(patient,), disabled=not confirmed,
            type="primary", key="patient_delete",
        )  # fmt: skip


def sidebar() -> Patient | None:
    """Draw the patient chooser in the sidebar and return the chosen patient."""
    with st.sidebar:
        st.subheader("Patient")
        _notice()
        patients = _patients()
        if patients is None:
            st.warning(
                f"The history is not available, so nothing is saved: "
                f"{markdown_literal(st.session_state[FAILED_KEY])}"
            )
            st.button("Try the history again", on_click=_retry, key="patient_retry")
            st.session_state[CURRENT_KEY] = None
            return None
        by_id = {p.id: p for p in patients}
        chosen = st.session_state.get(CHOSEN_KEY)
        if chosen is not None and chosen not in by_id:
            _choose(None)  # deleted, perhaps in another tab
        options = [None, *by_id]
        choice = st.selectbox(
            "Whose history",
            options,
            index=options.index(st.session_state.get(CHOSEN_KEY)),
            format_func=lambda i: "No one chosen" if i is None else by_id[i].name,
            key=CHOICE_KEY,
            on_change=_chosen,
        )
        patient = by_id.get(choice) if choice is not None else None
        st.session_state[CHOSEN_KEY] = choice
        st.session_state[CURRENT_KEY] = patient
        if patient is None:
            st.caption(NO_PATIENT)
        with st.expander("Add a patient", expanded=not patients):
            with st.form("patient_add", clear_on_submit=True, border=False):
                st.text_input("Name or code", key=NEW_NAME_KEY, max_chars=MAX_NAME_CHARS)
                st.form_submit_button("Add", on_click=_add)
            st.caption("A profile on this computer only: no account, nothing sent anywhere.")
        if patient is not None:
            _my_data(patient)
        return patient
