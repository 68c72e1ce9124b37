"""Which database the history lives in, and an engine set up for it.

The default is a SQLite file in the user's data folder, created on first use. ``FORMCHECK_DB``
takes any SQLAlchemy URL instead (e.g. ``postgresql://user@host:5432/db`` for a clinic's shared
server, run through psycopg 3); everything else goes through the same code.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from formcheck.history.errors import HistoryError

ENV_VAR = "FORMCHECK_DB"
DB_FILE_NAME = "history.sqlite3"
# The files SQLite keeps beside a database: its write-ahead log, the log's shared index, and the
# rollback journal (used before WAL is switched on, and by a copy restored into place).
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
# Where the history's recordings live, under its data folder (see formcheck.ui.recording).
RECORDINGS_FOLDER = "recordings"
# Patient data is readable by this user only: the folder formcheck makes and the database files.
PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# How long a SQLite writer waits for another one (a second tab, the CLI) before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000
# A server that does not answer is reported instead of hanging the app.
CONNECT_TIMEOUT_S = 10


def default_url() -> str:
    """The SQLite file in the user's data folder (``platformdirs.user_data_dir``)."""
    folder = Path(platformdirs.user_data_dir("formcheck", appauthor=False))
    return f"sqlite:///{folder / DB_FILE_NAME}"


def resolve_url(url: str | None = None) -> str:
    """``url`` if given, else ``$FORMCHECK_DB``, else :func:`default_url`."""
    return url or os.environ.get(ENV_VAR) or default_url()


def data_folder(url: str | None = None) -> Path:
    """Where files that belong to the history are kept (recordings): the SQLite file's folder,
    or the user's data folder for a database server or an in-memory database."""
    try:
        parsed: URL | None = make_url(resolve_url(url))
    except ArgumentError:
        parsed = None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return Path(database).expanduser().absolute().parent
    return Path(platformdirs.user_data_dir("formcheck", appauthor=False))


def sqlite_file(url: str | None = None) -> Path | None:
    """The SQLite database file ``url`` names (absolute), or ``None`` for a server or memory."""
    try:
        parsed = make_url(resolve_url(url))
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


def database_files(url: str | None = None) -> list[Path]:
    """The SQLite file of ``url`` and its companions (``-wal``, ``-shm``, ``-journal``), whether
    they exist yet or not: every command treats them as inputs, never as an output."""
    path = sqlite_file(url)
    if path is None:
        return []
    return [path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)]


def recordings_root(url: str | None = None) -> Path:
    """The folder the history's recordings are written under."""
    return data_folder(url) / RECORDINGS_FOLDER


def describe(url: str | URL) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def make_history_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL and a busy timeout.

    Raises:
        HistoryError: the URL cannot be parsed, names no installed driver, or the SQLite file's
            folder cannot be created.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise HistoryError(
            "the history database URL is not valid: expected e.g. "
            "sqlite:///path/history.sqlite3 or postgresql://user@host:5432/db"
        ) from None
    if parsed.drivername == "postgresql":
        # psycopg (3) is the driver formcheck installs; SQLAlchemy's default would be psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, ImportError) as exc:
        raise HistoryError(f"cannot use the history database {describe(parsed)}: {exc}") from None


def _notice(message: str) -> None:
    print(f"formcheck: notice: {message}", file=sys.stderr)


def _make_private(path: Path, mode: int, what: str) -> None:
    """Narrow ``path``'s permissions to ``mode`` when others could read or write it.

    Raises:
        HistoryError: the permissions are looser and cannot be changed (another user's file).
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise HistoryError(f"cannot check {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise HistoryError(f"{what} {path} is a symbolic link; give the real path")
    if not info.st_mode & 0o077:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise HistoryError(
            f"{what} {path} can be read by other users (mode {info.st_mode & 0o777:o}) and "
            f"cannot be made private: {exc.strerror or exc}"
        ) from None
    _notice(
        f"{what} {path} could be read by other users (mode {info.st_mode & 0o777:o}); "
        f"made private ({mode:o})"
    )


def prepare_sqlite_file(path: Path) -> None:
    """Create ``path``'s folder (0700) and the empty database file (0600) if needed, and make an
    existing one private: SQLite gives its ``-wal``, ``-shm`` and journal files the database
    file's permissions, so these follow.

    Raises:
        HistoryError: the folder or file cannot be created, or is open to others and cannot be
            made private.
    """
    folder = path.parent
    default = Path(platformdirs.user_data_dir("formcheck", appauthor=False)).absolute()
    try:
        created = not folder.exists()
        folder.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(
            f"cannot create the history folder {folder}: {exc.strerror or exc}"
        ) from None
    if created or folder.absolute() == default:
        # A folder formcheck made (or its own data folder) holds only this user's data; a
        # folder the user chose for FORMCHECK_DB may be shared on purpose and is left as it is.
        _make_private(folder, PRIVATE_FOLDER_MODE, "the history folder")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(path, flags, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass  # checked below
    except OSError as exc:
        raise HistoryError(
            f"cannot create the history database {path}: {exc.strerror or exc}"
        ) from None
    for file in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
        _make_private(file, PRIVATE_FILE_MODE, "the history database file")


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        prepare_sqlite_file(Path(url.database).expanduser().absolute())
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Every new SQLite connection: wait for other writers, WAL, enforce foreign keys.

    The driver's own transaction handling is switched off (``isolation_level = None``) so that
    :func:`_sqlite_begin_immediate` decides how each transaction starts.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    # WAL lets readers (the progress page) go on while a set is being written.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take the write lock at BEGIN. A deferred transaction that reads and then writes can fail
    at once with "database is locked" when another process wrote in between; an immediate one
    waits its turn under the busy timeout instead."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")
