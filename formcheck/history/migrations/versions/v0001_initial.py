"""The first schema: patients, sessions and each session's reps, holds and faults.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _session_child(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        *columns,
    )
    op.create_index(f"ix_{name}_session_id", name, ["session_id"])


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "patient_id",
            sa.Integer(),
            sa.ForeignKey("patients.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("exercise", sa.String(64), nullable=False),
        sa.Column("spec_version", sa.String(64), nullable=False),
        sa.Column("program", sa.String(64), nullable=True),
        sa.Column("set_index", sa.Integer(), nullable=True),
        sa.Column("sets_prescribed", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("clip", sa.String(500), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("app_version", sa.String(32), nullable=False),
        sa.Column("view", sa.String(16), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("frames_with_pose", sa.Integer(), nullable=False),
        sa.Column("reps_good", sa.Integer(), nullable=False),
        sa.Column("reps_faulty", sa.Integer(), nullable=False),
        sa.Column("reps_prescribed", sa.Integer(), nullable=True),
        sa.Column("hold_target_s", sa.Double(), nullable=True),
        sa.Column("cannot_judge_share", sa.Double(), nullable=False),
        sa.Column("stopped_for_pain", sa.Boolean(), nullable=False),
        sa.Column("recording_path", sa.String(1000), nullable=True),
        sa.Column("rom_signal", sa.String(64), nullable=True),
        sa.Column("rom_better", sa.String(8), nullable=True),
        sa.Column("rules_not_checked", sa.JSON(), nullable=False),
        sa.Column("not_counted", sa.JSON(), nullable=False),
    )
    op.create_index("ix_sessions_patient_id", "sessions", ["patient_id"])
    op.create_index("ix_sessions_exercise", "sessions", ["exercise"])
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"])
    _session_child(
        "reps",
        sa.Column("rep_index", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("tempo_s", sa.Double(), nullable=True),
        sa.Column("peak", sa.Double(), nullable=False),
        sa.Column("rom", sa.Double(), nullable=True),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
    )
    _session_child(
        "holds",
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("rom", sa.Double(), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
    )
    _session_child(
        "faults",
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Undo this revision."""
    for name in ("faults", "holds", "reps", "sessions", "patients"):
        op.drop_table(name)
