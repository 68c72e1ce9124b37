"""Private folders for uploaded clips: one per browser session, removed when it ends.

An uploaded clip is a patient's video. Each session gets its own folder from
:func:`tempfile.mkdtemp`: a fresh random name created atomically with mode 0700, so an existing
file, folder or symlink is never reused and other users cannot read it. Every folder is registered
here with the session that owns it, so it can be removed when that session ends
(:func:`remove_folder`), when a sweep finds its session gone (:func:`sweep`) and when the app stops
(:func:`remove_all`, registered with :mod:`atexit`). An app killed outright (``kill -9``, a power
cut) runs none of these: each folder's name carries the id of the process that made it, and the
next app to start removes the folders whose process is gone (:func:`sweep_abandoned`). No
Streamlit import: the page wires these to the session's lifetime.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

FOLDER_PREFIX = "formcheck-upload-"
COPY_CHUNK_BYTES = 1024 * 1024
# A folder whose name carries no process id (made by an older formcheck) is removed once this
# old: no upload session lasts a day.
UNOWNED_MAX_AGE_S = 24 * 3600

# Folder -> id of the session that owns it. Sessions end on the server's event loop thread while
# scripts run on their own threads, hence the lock.
_lock = threading.Lock()
_owners: dict[Path, str] = {}
_swept = False


class UploadTooLarge(ValueError):
    """The upload holds more bytes than the limit allows."""


def new_private_folder(session_id: str, parent: Path | None = None) -> Path:
    """Create and register an empty folder only this user can open.

    Args:
        session_id: The browser session the folder belongs to.
        parent: Where to create it (default: the system temporary folder).

    Raises:
        OSError: The folder could not be created, or is not private once created.
    """
    sweep_abandoned_once(parent)
    folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=parent))
    info = os.lstat(folder)
    # mkdtemp promises this; checked because every patient clip relies on it.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        shutil.rmtree(folder, ignore_errors=True)
        raise OSError(f"{folder} is not a private folder (mode {info.st_mode & 0o777:o})")
    with _lock:
        _owners[folder] = session_id
    return folder


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OverflowError:
        return False
    return True


def sweep_abandoned(parent: Path | None = None) -> list[Path]:
    """Remove the upload folders that a killed app left behind; return them.

    Only this user's real folders named by :data:`FOLDER_PREFIX` in ``parent`` (default: the
    system temporary folder) are considered, never through a link; a folder whose process is
    still running (another app, or this one) is left alone.
    """
    root = Path(parent or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(FOLDER_PREFIX):
            continue
        try:
            info = os.lstat(entry)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        owner, _, _ = entry.name.removeprefix(FOLDER_PREFIX).partition("-")
        if owner.isdigit():
            if int(owner) == os.getpid() or _process_alive(int(owner)):
                continue
        elif now - info.st_mtime < UNOWNED_MAX_AGE_S:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def sweep_abandoned_once(parent: Path | None = None) -> None:
    """:func:`sweep_abandoned` the first time this process asks (the app's start)."""
    global _swept
    with _lock:
        if _swept:
            return
        _swept = True
    sweep_abandoned(parent)


def remove_folder(folder: Path) -> None:
    """Delete ``folder`` and everything in it, and forget it. Safe to call twice.

    ``shutil.rmtree`` never follows a symlink, so a link inside cannot lead the deletion elsewhere.
    """
    with _lock:
        _owners.pop(folder, None)
    shutil.rmtree(folder, ignore_errors=True)


def registered_folders() -> dict[Path, str]:
    """The folders not removed yet, with their sessions."""
    with _lock:
        return dict(_owners)


def sweep(session_is_live: Callable[[str], bool]) -> int:
    """Remove every registered folder whose session is over; return how many.

    A safety net for the session-end hook: a script still running while its session closes can
    register a folder after the hook has run.
    """
    gone = [folder for folder, owner in registered_folders().items() if not session_is_live(owner)]
    for folder in gone:
        remove_folder(folder)
    return len(gone)


def remove_all() -> int:
    """Remove every registered folder (when the app stops); return how many."""
    folders = list(registered_folders())
    for folder in folders:
        remove_folder(folder)
    return len(folders)


atexit.register(remove_all)


def save_clip(folder: Path, file_name: str, source: BinaryIO, max_bytes: int) -> Path:
    """Write ``source`` to ``folder / file_name`` as the folder's only clip.

    The folder's earlier clip is deleted first: a session keeps one upload on disk at a time.
    The size is counted while copying, so the limit holds whatever the upload claims its size is.

    Args:
        folder: A folder from :func:`new_private_folder`.
        file_name: A plain name chosen by the caller (never the user's file name).
        source: The upload, read from its start.
        max_bytes: The most bytes accepted.

    Raises:
        UploadTooLarge: ``source`` holds more than ``max_bytes``; nothing is left on disk.
        OSError: The file could not be written; nothing is left on disk.
    """
    clear_folder(folder)
    path = folder / file_name
    # O_EXCL and O_NOFOLLOW: a file or link that appeared in its place is never written through.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(COPY_CHUNK_BYTES):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadTooLarge(f"more than {max_bytes} bytes")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def clear_folder(folder: Path) -> None:
    """Delete the clips in ``folder``, keeping the folder."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
