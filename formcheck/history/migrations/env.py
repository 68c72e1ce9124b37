"""Alembic environment: runs migrations on the connection the store hands over.

:func:`formcheck.history.migrate.upgrade` passes its open connection (inside the transaction that
holds the migration lock) as ``config.attributes["connection"]``. Without one, as when a
developer runs ``command.revision(alembic_config(), "...", autogenerate=True)``, it connects to
the database :func:`formcheck.history.database.resolve_url` picks.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from formcheck.history.database import make_history_engine, resolve_url
from formcheck.history.models import Base


def _run(connection: Connection) -> None:
    # Batch mode lets later revisions alter SQLite tables (it rebuilds them; SQLite's ALTER
    # TABLE cannot drop or change columns).
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


shared = context.config.attributes.get("connection")
if shared is not None:
    _run(shared)
else:
    with make_history_engine(resolve_url()).begin() as conn:
        _run(conn)
