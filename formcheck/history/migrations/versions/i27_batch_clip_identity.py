"""Batch-analysed clips: each session may carry a clip identity, unique across the history.

Revision ID: i27_batch
Revises: i24_hold_rom_best
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i27_batch"
down_revision: str | Sequence[str] | None = "i24_hold_rom_best"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # A nullable column (NULL by default) and a unique index, both added in place (NULLs
    # never collide, so every existing row keeps NULL).
    column = sa.Column(
        "clip_identity", sa.String(64), nullable=True, server_default=sa.text("NULL")
    )
    op.add_column("sessions", column)
    op.create_index("ix_sessions_clip_identity", "sessions", ["clip_identity"], unique=True)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_sessions_clip_identity", table_name="sessions")
    op.drop_column("sessions", "clip_identity")
