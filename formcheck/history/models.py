"""The history's tables as SQLAlchemy 2 typed ORM models.

One ``sessions`` row is one completed set or one analysed clip; its reps, holds and faults hang
off it and go when it goes (``ON DELETE CASCADE``). Per-rep measures are a JSON mapping, so a
measure added to a spec needs no migration. Changing a table here needs a new revision in
``migrations/versions`` (a test compares the migrated schema with these models).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out, on every backend.

    SQLite stores no zone, so values go in as naive UTC and come back marked UTC; PostgreSQL
    keeps ``timestamptz`` and hands back the session's zone, converted here to UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store a time as UTC without its zone (both databases read it back alike)."""
        if value is None:
            return None
        utc = value.astimezone(UTC)  # a naive value is taken as local time, as Python does
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read a stored time back as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The history's ORM base: how Python types map to columns."""

    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it from the class)
        # Spelled out: SQLAlchemy 2.0 maps float to Float, 2.1 to Double.
        float: Double,
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }


class PatientRow(Base):
    """A profile on this machine: a name or a code, no account."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]

    sessions: Mapped[list[SessionRow]] = relationship(
        back_populates="patient", passive_deletes=True
    )


class SessionRow(Base):
    """One completed set (practice) or one analysed clip (review, command line)."""

    __tablename__ = "sessions"
    # No column is filled in by the server but the NULL of clip_identity, which is not read back.
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012 (SQLAlchemy reads it)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    exercise: Mapped[str] = mapped_column(String(64), index=True)
    # Hash of the spec the set was judged with: a changed threshold shows up as a new version.
    spec_version: Mapped[str] = mapped_column(String(64))
    program: Mapped[str | None] = mapped_column(String(64))
    set_index: Mapped[int | None]  # 1-based set of the program or prescription
    sets_prescribed: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(16))  # practice | review | cli | batch
    clip: Mapped[str | None] = mapped_column(String(500))  # the result's source, e.g. a file name
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime]
    duration_s: Mapped[float]
    app_version: Mapped[str] = mapped_column(String(32))
    view: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))
    frames: Mapped[int]
    frames_with_pose: Mapped[int]
    reps_good: Mapped[int]
    reps_faulty: Mapped[int]
    reps_prescribed: Mapped[int | None]  # reps per set
    hold_target_s: Mapped[float | None]  # per hold, on each side
    cannot_judge_share: Mapped[float]  # frames the engine could not judge, 0..1
    stopped_for_pain: Mapped[bool]
    recording_path: Mapped[str | None] = mapped_column(String(1000))
    rom_signal: Mapped[str | None] = mapped_column(String(64))
    rom_better: Mapped[str | None] = mapped_column(String(8))
    rules_not_checked: Mapped[dict[str, Any]]  # rule id -> share of its frames not judged
    not_counted: Mapped[list[dict[str, Any]]]  # movements the cross-check did not count
    # A batch-analysed clip's identity (formcheck.batch.identity): unique, so two batches over
    # the same clips cannot both save one; NULL for everything else. The server's default lets a
    # row without one leave the column out of its INSERT altogether.
    clip_identity: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True, server_default=text("NULL")
    )

    patient: Mapped[PatientRow] = relationship(back_populates="sessions")
    reps: Mapped[list[RepRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RepRow.rep_index"
    )
    holds: Mapped[list[HoldRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="HoldRow.start_s"
    )
    faults: Mapped[list[FaultRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="FaultRow.start_s"
    )


class RepRow(Base):
    """One counted rep; times are seconds from the start of the set or clip."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    rep_index: Mapped[int]  # 1-based, as in the result
    side: Mapped[str] = mapped_column(String(8))
    start_s: Mapped[float]
    end_s: Mapped[float]
    tempo_s: Mapped[float | None]
    peak: Mapped[float]
    rom: Mapped[float | None]
    faults: Mapped[list[str]]  # rule ids broken in this rep
    measures: Mapped[dict[str, Any]]  # e.g. back_bend_deg -> value or null


class HoldRow(Base):
    """One hold; ``counted`` is false for a stay shorter than the spec's minimum hold."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(8))
    start_s: Mapped[float]
    end_s: Mapped[float]
    duration_s: Mapped[float]
    rom: Mapped[float | None]  # median of the range-of-motion signal over the hold
    counted: Mapped[bool]
    rom_best: Mapped[float | None]  # its best value over the hold (the spec's rom.better)


class FaultRow(Base):
    """One confirmed fault with its time span."""

    __tablename__ = "faults"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    start_s: Mapped[float]
    end_s: Mapped[float]
    message: Mapped[str] = mapped_column(Text)
