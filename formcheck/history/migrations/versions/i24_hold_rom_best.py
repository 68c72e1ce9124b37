"""Each hold's best range of motion beside its median (``holds.rom_best``).

Holds saved before it have no best: the column is left empty for them.

Revision ID: i24_hold_rom_best
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i24_hold_rom_best"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("rom_best", sa.Double(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("rom_best")
