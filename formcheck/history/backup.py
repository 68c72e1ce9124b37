"""``formcheck history backup OUT`` and ``restore IN``: the whole SQLite history as one file.

Both go through SQLite's online backup API (:meth:`sqlite3.Connection.backup`), which copies a
consistent snapshot page by page while the app or another command keeps using the database: a
plain file copy taken during a write, or without the ``-wal`` file beside it, can lose the newest
sets or not open at all. A backup is a rollback-journal database (one file, no ``-wal``) made
private (0600), checked with ``PRAGMA integrity_check`` before it is put in place.

A restore checks the file first (a SQLite database that passes the integrity check and holds a
formcheck history this version can open), then copies it over the live database in one step, and
brings its schema up to date. A PostgreSQL history is backed up with the server's own tools;
both commands then say how.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from formcheck.history.database import (
    PRIVATE_FILE_MODE,
    describe,
    prepare_sqlite_file,
    resolve_url,
    sqlite_file,
)
from formcheck.history.errors import HistoryError

# How long a backup step waits for a writer holding the database.
_BUSY_TIMEOUT_S = 15.0


def _database(url: str | None, doing: str) -> Path:
    """The SQLite file of the history in use, or the PostgreSQL guidance as an error."""
    path = sqlite_file(url)
    if path is not None:
        return path
    shown = describe(resolve_url(url))
    if shown.startswith("postgresql"):
        raise HistoryError(
            f"the history is on a PostgreSQL server ({shown}): {doing} it with the server's "
            "tools, e.g. 'pg_dump --format=custom --file OUT DBNAME' and "
            "'pg_restore --clean --if-exists --dbname DBNAME OUT' (see the README, Limits and "
            "privacy)"
        )
    raise HistoryError(f"{doing} works on a SQLite history file, not {shown}")


def _counts(connection: sqlite3.Connection) -> str:
    patients = connection.execute("SELECT count(*) FROM patients").fetchone()[0]
    sessions = connection.execute("SELECT count(*) FROM sessions").fetchone()[0]
    return f"{patients} patients, {sessions} sessions"


def _open_read_only(path: Path) -> sqlite3.Connection:
    """``path`` opened for reading. A file with no ``-wal`` beside it is opened as immutable, so
    reading a backup (even one copied from a database in WAL mode) leaves no ``-shm`` file
    beside it; one with a ``-wal`` is read with it, or its newest sets would be missed."""
    options = "mode=ro" if path.with_name(path.name + "-wal").exists() else "mode=ro&immutable=1"
    return sqlite3.connect(
        f"{path.absolute().as_uri()}?{options}", uri=True, timeout=_BUSY_TIMEOUT_S
    )


def backup(url: str | None, out: Path) -> str:
    """Copy the history into ``out`` (an empty file the caller created); returns what it holds.

    Raises:
        HistoryError: no SQLite history yet, a PostgreSQL history, or a copy that fails.
    """
    database = _database(url, "back up")
    if not database.is_file():
        raise HistoryError(f"there is no history to back up yet: {database} does not exist")
    try:
        # The live database is read as any reader would (never immutable: it may be written).
        source = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S)
        try:
            target = sqlite3.connect(out, timeout=_BUSY_TIMEOUT_S)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")
                _check(target, out)
                counts = _counts(target)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot back up the history {database}: {exc}") from None
    out.chmod(PRIVATE_FILE_MODE)
    return counts


def _check(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()
    if not result or result[0] != "ok":
        raise HistoryError(f"{path} is damaged (integrity check: {result and result[0]})")


def check_backup(url: str | None, source: Path) -> str:
    """Is ``source`` a sound formcheck history that can replace the one in use? Returns what
    it holds.

    Raises:
        HistoryError: why not (missing, not a database, damaged, not a formcheck history, from
            a newer formcheck, the database in use itself).
    """
    from alembic.script import ScriptDirectory

    from formcheck.history.migrate import _known, alembic_config

    database = _database(url, "restore")
    if not source.is_file():
        raise HistoryError(f"no backup file {source}")
    if database.exists() and source.resolve() == database.resolve():
        raise HistoryError(f"{source} is the history database itself; give a backup file")
    try:
        connection = _open_read_only(source)
        try:
            _check(connection, source)
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not {"alembic_version", "patients", "sessions"} <= tables:
                raise HistoryError(f"{source} is not a formcheck history")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            counts = _counts(connection)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise HistoryError(f"{source} cannot be restored: {exc}") from None
    script = ScriptDirectory.from_config(alembic_config())
    if row is None or not _known(script, row[0]):
        raise HistoryError(
            f"{source} was written by a newer formcheck (schema {row and row[0]}): update "
            "formcheck to restore it"
        )
    return counts


def current_counts(url: str | None) -> str:
    """What the history in use holds, for the restore's question."""
    database = _database(url, "restore")
    if not database.is_file():
        return "empty"
    try:
        connection = _open_read_only(database)
        try:
            return _counts(connection)
        finally:
            connection.close()
    except sqlite3.Error:
        return "unreadable"


def restore(url: str | None, source: Path) -> None:
    """Replace the history in use with ``source`` (checked by :func:`check_backup`) in one
    step, then migrate it to this version's schema.

    Raises:
        HistoryError: the copy or the migration fails; the history in use is then unchanged.
    """
    from formcheck.history.store import HistoryStore

    database = _database(url, "restore")
    prepare_sqlite_file(database)
    try:
        backup_source = _open_read_only(source)
        try:
            target = sqlite3.connect(database, timeout=_BUSY_TIMEOUT_S)
            try:
                target.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
                backup_source.backup(target)
                _check(target, database)
            finally:
                target.close()
        finally:
            backup_source.close()
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot restore into {database}: {exc}") from None
    HistoryStore(url).close()  # brings an older backup's schema up to date
