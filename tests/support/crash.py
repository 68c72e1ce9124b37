"""Work for a process the crash-safety tests kill with SIGKILL (``tests/test_history_crash.py``).

Each function runs in a child made by a ``forkserver`` (the history modules are imported once
there, so a child starts in milliseconds and many kills fit in a few seconds). A child reports
through its end of a pipe: ``"ready"`` once the database is open and the operation is about to
start, then what it finished. ``Connection.send`` writes synchronously, so a message the parent
received was sent before the kill.
"""

from __future__ import annotations

from multiprocessing.connection import Connection

from formcheck.history.errors import HistoryError
from formcheck.history.store import HistoryStore
from tests.support.history import sample_context, sample_result


def save_forever(conn: Connection, url: str, patient_id: int, start: int) -> None:
    """Save sets ``start``, ``start + 1``... for the patient until killed or the patient is
    gone; sends ``(session id, i)`` after each commit, ``"gone"`` when the patient was deleted."""
    with HistoryStore(url) as store:
        conn.send("ready")
        i = start
        while True:
            try:
                session_id = store.save_session(patient_id, sample_result(i), sample_context(i))
            except HistoryError:
                conn.send("gone")
                return
            conn.send((session_id, i))
            i += 1


def delete_patient(conn: Connection, url: str, patient_id: int) -> None:
    """Delete one patient with their sessions and recordings."""
    with HistoryStore(url) as store:
        conn.send("ready")
        store.delete_patient(patient_id)
        conn.send("done")


def migrate(conn: Connection, url: str) -> None:
    """Open a fresh database: the schema is created by the migrations."""
    conn.send("ready")
    HistoryStore(url).close()
    conn.send("done")
