"""The history store: patients, and each patient's saved sets and clips.

A :class:`HistoryStore` opens (and creates or migrates) the database named by
:func:`formcheck.history.database.resolve_url`. Every write is one transaction: a set is saved
whole when it ends or not at all, so a killed process loses at most the set under way. Reads
return the frozen values of :mod:`formcheck.history.records`.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Select, delete, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from formcheck.history.database import (
    describe,
    make_history_engine,
    recordings_root,
    resolve_url,
)
from formcheck.history.errors import HistoryError
from formcheck.history.from_result import SessionContext, from_row, session_row
from formcheck.history.migrate import upgrade
from formcheck.history.models import PatientRow, SessionRow
from formcheck.history.records import (
    Patient,
    StoredFault,
    StoredHold,
    StoredRep,
    StoredSession,
)
from formcheck.result_model import AnalysisResult

MAX_NAME_CHARS = 200
# Row ids are 32-bit on PostgreSQL (``integer``); a larger number names no row anywhere.
MAX_ID = 2**31 - 1
# The name a recording gets from formcheck.ui.recording.new_recording_path: <UTC time>-<random>.mp4
RECORDING_NAME = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}\.mp4")
# Unicode categories a name may not hold: controls (terminal escapes), format characters
# (right-to-left overrides, zero-width spaces and joiners), line and paragraph separators,
# surrogates, private use and unassigned code points.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class DeletedPatient:
    """What :meth:`HistoryStore.delete_patient` removed."""

    patient: Patient
    sessions: int
    recordings_removed: tuple[str, ...]
    recordings_missing: tuple[str, ...]  # listed with a session but already gone
    # Listed with a session but not a recording formcheck made in this patient's recordings
    # folder (a path elsewhere, a link, a folder): left where it is.
    recordings_refused: tuple[str, ...] = ()


def normal_name(name: str) -> str:
    """A patient name as stored: NFC, outer spaces removed.

    Raises:
        HistoryError: empty, too long, starting with ``#`` (that marks an id), or holding a
            character that would hide or disguise what the name says (a control character such
            as a terminal escape, a line break, a right-to-left override, a zero-width space).
    """
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise HistoryError(f"a patient name must be one line of 1 to {MAX_NAME_CHARS} characters")
    for char in name:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise HistoryError(
                f"a patient name cannot hold the invisible or control character U+{ord(char):04X}"
                f" ({unicodedata.name(char, 'a control character')}): type the name as it "
                "should be shown"
            )
    if name.startswith("#"):
        raise HistoryError("a patient name cannot start with '#', which marks an id (#12)")
    return name


def look_alike_key(name: str) -> str:
    """What two names that look the same share: compatibility-normalised (NFKC, so a full-width
    or ligature letter is its plain one), case-folded, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def parse_id(text: str | int, what: str) -> int:
    """A row id typed by a person (``12`` or ``#12``).

    Raises:
        HistoryError: not a whole number, or outside the ids any row can have.
    """
    raw = str(text).strip()
    digits = raw[1:] if raw.startswith("#") else raw
    if not digits.isascii() or not digits.isdigit():
        raise HistoryError(f"a {what} id is a number, not {raw!r}")
    value = int(digits)
    if not 1 <= value <= MAX_ID:
        raise HistoryError(f"unknown {what} id {digits}: ids run from 1 to {MAX_ID}")
    return value


def printable(name: str) -> str:
    r"""``name`` safe to print on a terminal: any character a name may not hold (a name saved
    before names were checked, or written into a shared database directly) is shown as its
    ``\uXXXX`` code instead of acting (an escape sequence retitling the terminal, an override
    turning the line around)."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in _REFUSED_CATEGORIES else c for c in name
    )


def label(patient: Patient) -> str:
    """``name (id N)``: which patient, beyond doubt, in prompts and reports of what was done."""
    return f"{printable(patient.name)} (id {patient.id})"


class AlreadySavedError(HistoryError):
    """A session with the same clip identity is saved already (another batch, or a retry)."""


class HistoryStore:
    """One history database, opened and brought up to date.

    Args:
        url: A SQLAlchemy URL; default ``$FORMCHECK_DB`` or the SQLite file in the user's data
            folder.

    Raises:
        HistoryError: the database cannot be reached or created, or a newer formcheck wrote it.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        self._engine = make_history_engine(self.url)
        try:
            with self._errors("open"):
                upgrade(self._engine)
        except HistoryError:
            self._engine.dispose()
            raise

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def check_writable(self) -> None:
        """Fail now, not after a long analysis, when the database cannot be written (a
        read-only file, folder or disk, a user allowed to read only): a write that changes
        nothing, rolled back.

        Raises:
            HistoryError: the database refuses writes.
        """
        with self._errors("write to"), self._engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
            finally:
                transaction.rollback()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Database failures (server gone, disk full, locked too long) as one-line errors."""
        try:
            yield
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise HistoryError(
                f"cannot {doing} the history database {describe(self.url)}: {reason}"
            ) from None
        except SQLAlchemyError as exc:
            # The first line only: SQLAlchemy appends the statement and its parameters.
            reason = str(exc).strip().splitlines()[0].split(" [SQL:")[0]
            raise HistoryError(
                f"cannot {doing} the history database {describe(self.url)}: {reason}"
            ) from None
        except OverflowError:
            raise HistoryError(
                f"cannot {doing} the history database {describe(self.url)}: a number or date "
                "out of range"
            ) from None

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Session]:
        with self._errors(doing), Session(self._engine) as session, session.begin():
            yield session

    # -- patients ------------------------------------------------------------------------------

    def add_patient(self, name: str) -> Patient:
        """Create a profile. ``name`` is a display name or a code, unique on this database.

        Raises:
            HistoryError: the name is empty, too long, spans lines or is taken.
        """
        name = normal_name(name)
        key = look_alike_key(name)
        with self._transaction("write to") as session:
            for other in session.scalars(select(PatientRow)):
                if other.name != name and look_alike_key(other.name) == key:
                    raise HistoryError(
                        f"a patient named {name!r} would look like {other.name!r} "
                        f"(id {other.id}); choose a name that can be told apart"
                    )
            row = PatientRow(name=name, created_at=datetime.now(UTC))
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                raise HistoryError(f"a patient named {name!r} already exists") from None
            return _patient(row)

    def patient(self, ref: str | int) -> Patient:
        """The patient named ``ref``; an int, or a string ``#N``, is an id instead.

        A name is always a name, even one made of digits: ``"2"`` is the patient named 2.

        Raises:
            HistoryError: no such patient.
        """
        if isinstance(ref, int) or ref.strip().startswith("#"):
            return self.patient_by_id(parse_id(ref, "patient"))
        name = unicodedata.normalize("NFC", ref).strip()
        with self._transaction("read") as session:
            row = session.scalars(select(PatientRow).where(PatientRow.name == name)).first()
            if row is None:
                raise HistoryError(
                    f"unknown patient {name!r}: see 'formcheck patients list' (give an id "
                    "with --patient-id), or add one with 'formcheck patients add NAME'"
                )
            return _patient(row)

    def patient_by_id(self, patient_id: int) -> Patient:
        """The patient with this id.

        Raises:
            HistoryError: no such patient.
        """
        if not 1 <= patient_id <= MAX_ID:
            raise HistoryError(f"unknown patient id {patient_id}: ids run from 1 to {MAX_ID}")
        with self._transaction("read") as session:
            row = session.get(PatientRow, patient_id)
            if row is None:
                raise HistoryError(
                    f"unknown patient id {patient_id}: see 'formcheck patients list'"
                )
            return _patient(row)

    def patients(self) -> list[Patient]:
        """Every patient, by name."""
        with self._transaction("read") as session:
            rows = session.scalars(select(PatientRow).order_by(PatientRow.name))
            return [_patient(p) for p in rows]

    # -- sessions ------------------------------------------------------------------------------

    def save_session(
        self,
        patient_id: int,
        result: Mapping[str, Any] | AnalysisResult,
        context: SessionContext,
    ) -> int:
        """Save one completed set or analysed clip in one transaction; returns its session id.

        Args:
            patient_id: :attr:`Patient.id`.
            result: The result model, or its dict (:func:`formcheck.results.to_dict`).
            context: What the caller knows about the set (:func:`~formcheck.history.
                from_result.context_for` fills it from the spec).

        Raises:
            HistoryError: unknown patient, a result that does not match the result schema, or
                the database cannot be written.
            AlreadySavedError: ``context.clip_identity`` is saved already.
        """
        row = session_row(patient_id, result, context)
        with self._transaction("write to") as session:
            if session.get(PatientRow, patient_id) is None:
                raise HistoryError(f"unknown patient id {patient_id}")
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                # The patient exists (checked above), so the one constraint left is the identity.
                if context.clip_identity is None:
                    raise
                raise AlreadySavedError(f"clip {context.clip_identity} is saved already") from None
            return row.id

    def has_clip(self, clip_identity: str) -> bool:
        """Is a session with this clip identity saved?"""
        with self._transaction("read") as session:
            query = select(SessionRow.id).where(SessionRow.clip_identity == clip_identity)
            return session.scalars(query).first() is not None

    def session(self, session_id: int) -> StoredSession:
        """One saved session with its reps, holds and faults.

        Raises:
            HistoryError: no such session.
        """
        if not 1 <= session_id <= MAX_ID:
            raise HistoryError(f"unknown session {session_id}: see 'formcheck history list'")
        with self._transaction("read") as session:
            row = session.scalars(_loaded().where(SessionRow.id == session_id)).first()
            if row is None:
                raise HistoryError(f"unknown session {session_id}: see 'formcheck history list'")
            return _stored(row)

    def sessions(
        self,
        patient_id: int | None = None,
        exercise: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StoredSession]:
        """Saved sessions, oldest first, with their reps, holds and faults.

        Args:
            patient_id: Only this patient's (default: everyone's).
            exercise: Only this exercise.
            since: Started at or after (naive datetimes are local time).
            until: Started before.
        """
        query = _loaded().order_by(SessionRow.started_at, SessionRow.id)
        if patient_id is not None:
            query = query.where(SessionRow.patient_id == patient_id)
        if exercise is not None:
            query = query.where(SessionRow.exercise == exercise)
        if since is not None:
            query = query.where(SessionRow.started_at >= since)
        if until is not None:
            query = query.where(SessionRow.started_at < until)
        with self._transaction("read") as session:
            return [_stored(r) for r in session.scalars(query)]

    def exercises(self, patient_id: int) -> list[str]:
        """The exercises this patient has saved sessions of, sorted."""
        query = (
            select(SessionRow.exercise)
            .where(SessionRow.patient_id == patient_id)
            .distinct()
            .order_by(SessionRow.exercise)
        )
        with self._transaction("read") as session:
            return list(session.scalars(query))

    def delete_patient(self, patient_id: int) -> DeletedPatient:
        """Delete the patient, every session of theirs and the recordings listed with them.

        Only a file formcheck itself made for this patient is removed: a regular file (not a
        link) named like a recording, directly in ``recordings/<patient id>/`` of this history's
        data folder, checked on the resolved path. Any other path a session lists (a shared
        database's row can hold anything) is left alone and reported in ``recordings_refused``.
        The recordings are removed inside the transaction, before the rows: if one cannot be
        removed the database is left as it was, so the recording stays listed and a retry
        finds it.
        The patient's row is locked meanwhile, so no set can be saved for them half-way.

        Raises:
            HistoryError: unknown patient, or a recording that cannot be removed.
        """
        with self._transaction("write to") as session:
            row = session.scalars(
                select(PatientRow).where(PatientRow.id == patient_id).with_for_update()
            ).first()
            if row is None:
                raise HistoryError(f"unknown patient id {patient_id}")
            patient = _patient(row)
            sessions = session.execute(
                select(SessionRow.id, SessionRow.recording_path).where(
                    SessionRow.patient_id == patient_id
                )
            ).all()
            folder = recordings_root(self.url) / str(patient_id)
            removed, missing, refused = _remove_recordings(
                folder, (path for _, path in sessions if path)
            )
            session.execute(delete(PatientRow).where(PatientRow.id == patient_id))
        return DeletedPatient(patient, len(sessions), removed, missing, refused)


def _remove_recordings(
    folder: Path, paths: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Remove the recordings in ``paths`` that formcheck made in ``folder``; (removed, missing,
    refused)."""
    removed: list[str] = []
    missing: list[str] = []
    refused: list[str] = []
    try:
        real_folder = folder.resolve(strict=False)
    except (OSError, RuntimeError):
        real_folder = None
    for name in dict.fromkeys(paths):  # one path listed by two sessions is one file
        path = Path(name)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            missing.append(name)
            continue
        except OSError:
            refused.append(name)
            continue
        try:
            parent = path.parent.resolve(strict=True)
        except (OSError, RuntimeError):
            parent = None
        ours = (
            real_folder is not None
            and parent == real_folder
            and RECORDING_NAME.fullmatch(path.name) is not None
            and stat.S_ISREG(info.st_mode)
        )
        if not ours or parent is None:
            refused.append(name)
            continue
        try:
            (parent / path.name).unlink()
            removed.append(name)
        except FileNotFoundError:
            missing.append(name)
        except OSError as exc:
            raise HistoryError(
                f"cannot remove the recording {name}: {exc.strerror or exc}; "
                "the history was left as it was"
            ) from None
    return tuple(removed), tuple(missing), tuple(refused)


def _loaded() -> Select[SessionRow]:
    return select(SessionRow).options(
        selectinload(SessionRow.patient),
        selectinload(SessionRow.reps),
        selectinload(SessionRow.holds),
        selectinload(SessionRow.faults),
    )


def _patient(row: PatientRow) -> Patient:
    return Patient(row.id, row.name, row.created_at)


def _stored(row: SessionRow) -> StoredSession:
    return StoredSession(
        id=row.id,
        patient_id=row.patient_id,
        patient_name=row.patient.name,
        exercise=row.exercise,
        spec_version=row.spec_version,
        program=row.program,
        set_index=row.set_index,
        sets_prescribed=row.sets_prescribed,
        source=row.source,
        clip=row.clip,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_s=row.duration_s,
        app_version=row.app_version,
        view=row.view,
        side=row.side,
        frames=row.frames,
        frames_with_pose=row.frames_with_pose,
        reps_good=row.reps_good,
        reps_faulty=row.reps_faulty,
        reps_prescribed=row.reps_prescribed,
        hold_target_s=row.hold_target_s,
        cannot_judge_share=row.cannot_judge_share,
        stopped_for_pain=row.stopped_for_pain,
        recording_path=row.recording_path,
        rom_signal=row.rom_signal,
        rom_better=row.rom_better,
        rules_not_checked=dict(row.rules_not_checked),
        not_counted=tuple(row.not_counted),
        reps=tuple(from_row(StoredRep, r) for r in row.reps),
        holds=tuple(from_row(StoredHold, h) for h in row.holds),
        faults=tuple(from_row(StoredFault, f) for f in row.faults),
    )
