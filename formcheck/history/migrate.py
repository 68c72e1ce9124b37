"""Bringing a history database's schema up to this code's Alembic head when it is opened.

There is no set-up step: the first open creates the tables, later ones apply any new revision.
Two processes opening a fresh database at once take turns: SQLite's ``BEGIN IMMEDIATE`` (see
:mod:`formcheck.history.database`) and a PostgreSQL advisory lock hold the migration
transaction, and the second finds the schema already current.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text

from formcheck.history.errors import HistoryError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed number, shared by every formcheck process migrating the same PostgreSQL database.
_PG_MIGRATION_LOCK = 0x666F726D


def alembic_config() -> Config:
    """The Alembic configuration, without an ``alembic.ini``: the script folder ships in the
    package. For a new revision: ``command.revision(alembic_config(), "what", autogenerate=True)``
    with ``FORMCHECK_DB`` pointing at a database at the current head."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Migrate the database to this code's head in one transaction.

    Raises:
        HistoryError: the database is at a revision this code does not know, i.e. a newer
            formcheck wrote it. Nothing is changed then.
    """
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _PG_MIGRATION_LOCK})
        current = current_revision(connection)
        if current == head:
            return
        if current is not None and not _known(script, current):
            raise HistoryError(
                f"this history was written by a newer formcheck (schema revision {current}; "
                f"this version knows up to {head}): update formcheck to open it"
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False
