"""Output files a command writes: checked before any work, written whole or not at all.

Every path is checked before the analysis starts, so a typo costs nothing: an output that is one
of the command's inputs (after following links) is refused even with ``--force``, as are two
outputs naming the same file and an output that is a folder or a device; an existing file is
replaced only with ``force``, or when the command rewrites part of it in place (``update``: the
README's accuracy table). Each output is first written to a hidden temporary file beside its
target (a short random name, created exclusively, never through a link) made during the checks,
which proves the folder exists and is writable; it keeps the target's extension (PyAV picks the
container by it, numpy adds ``.npz`` to names without it).
:meth:`StagedOutputs.commit` moves the finished files into place with :func:`os.replace`;
leaving the ``with`` block without a commit (an error, Ctrl-C) deletes every temporary file.

Usage::

    with stage_outputs({"--json": "out.json"}, inputs=[video], force=False) as staged:
        ...  # the analysis
        staged.path("--json").write_text(text)
        staged.commit()
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType


class OutputError(Exception):
    """An output path that cannot or must not be written; one line naming the option and path."""


def _same_file(a: Path, b: Path) -> bool:
    """Do ``a`` and ``b`` name one file (links followed, hard links included)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        pass
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # a loop of links names no file at all
        return False


def _check_target(option: str, target: Path, inputs: list[Path], force: bool) -> None:
    """Refuse an input, a folder, a device or (without ``force``) an existing file."""
    for source in inputs:
        if _same_file(target, source):
            same = "" if str(source) == str(target) else f" (the same file as {source})"
            raise OutputError(
                f"{option} {target} is an input of this command{same}; choose another output path"
            )
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        return  # a path under a file: creating the temporary file says so
    except OSError as exc:
        raise OutputError(f"cannot check {option} {target}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise OutputError(f"{option} {target} is a folder; give a file path")
    if not stat.S_ISREG(mode):
        raise OutputError(f"{option} {target} is not a regular file; give a file path")
    if not force:
        raise OutputError(f"{option} {target} already exists; pass --force to replace it")


# The longest extension kept on a temporary name: enough for any real one (".mp4", ".npz",
# ".json"), short enough that the name stays well under the 255 bytes a file name may have.
_MAX_TEMP_SUFFIX = 16


def _create_temp(option: str, target: Path, mode: int) -> Path:
    """An empty hidden file beside ``target`` with its extension, created here and now.

    The name is short (``.fc-<random>.<ext>``) so that any target name the file system takes
    has a temporary name it takes too; it is created exclusively (``O_EXCL``), so an existing
    file or a symbolic link planted there is never written through.
    """
    folder = target.parent
    suffix = target.suffix if len(target.suffix.encode()) <= _MAX_TEMP_SUFFIX else ""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        temp = folder / f".fc-{secrets.token_hex(6)}{suffix}"
        try:
            fd = os.open(temp, flags, mode)
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise OutputError(
                f"cannot write {option} {target}: the folder {folder} does not exist"
            ) from None
        except NotADirectoryError:
            raise OutputError(f"cannot write {option} {target}: {folder} is not a folder") from None
        except PermissionError:
            raise OutputError(
                f"cannot write {option} {target}: no permission to write in {folder}"
            ) from None
        except OSError as exc:
            reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
            raise OutputError(f"cannot write {option} {target}: {reason} in {folder}") from None
        os.close(fd)
        return temp
    raise OutputError(f"cannot write {option} {target}: no free temporary name")


class StagedOutputs:
    """The temporary files of one command's outputs, by option name (see the module docstring).

    Made by :func:`stage_outputs`; use it as a context manager so that an error or Ctrl-C
    removes every temporary file it holds.
    """

    def __init__(self, force: bool, mode: int = 0o666, update: Iterable[str] = ()) -> None:
        self._force = force
        self._update = frozenset(update)
        self._mode = mode
        self._targets: dict[str, Path] = {}
        self._temps: dict[str, Path] = {}

    def _add(self, option: str, target: Path) -> None:
        self._temps[option] = _create_temp(option, target, self._mode)
        self._targets[option] = target

    def wanted(self, option: str) -> bool:
        """Was an output given for ``option``?"""
        return option in self._targets

    def target(self, option: str) -> Path:
        """Where ``option``'s output ends up."""
        return self._targets[option]

    def path(self, option: str) -> Path:
        """The temporary file to write ``option``'s output to."""
        return self._temps[option]

    def commit(self) -> list[Path]:
        """Move every finished output into place; returns their final paths.

        Raises:
            OutputError: A target appeared during the run and ``force`` was not given; nothing
                more is moved and the remaining temporary files are removed on exit.
        """
        done = []
        for option in list(self._temps):
            target = self._targets[option]
            if not (self._force or option in self._update) and target.exists():
                raise OutputError(
                    f"{option} {target} was created by something else while this "
                    "command ran; not replaced (pass --force to replace it)"
                )
            os.replace(self._temps.pop(option), target)
            done.append(target)
        return done

    def discard(self) -> None:
        """Remove every temporary file not yet moved into place."""
        for option in list(self._temps):
            self._temps.pop(option).unlink(missing_ok=True)

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def stage_outputs(
    outputs: Mapping[str, str | Path | None],
    inputs: Iterable[str | Path],
    force: bool = False,
    private: bool = False,
    update: Iterable[str] = (),
) -> StagedOutputs:
    """Check a command's outputs against its inputs and each other, and create their temp files.

    Args:
        outputs: Option name (as the user typed it, e.g. ``"--json"``) -> path, or ``None``
            when the option was not given.
        inputs: Every file the command reads; an output may never be one of them.
        force: Replace existing files (never an input).
        private: Create the files readable by this user only (0600): patient data. Otherwise
            the umask decides, as for any file the user creates.
        update: Options whose file is rewritten in place (a block of a README): an existing
            file is replaced without ``force``; the other checks stand.

    Returns:
        The staged outputs, to use in a ``with`` block.

    Raises:
        OutputError: The first problem found, naming the option and the path.
    """
    sources = [Path(p) for p in inputs]
    updated = frozenset(update)
    staged = StagedOutputs(force, 0o600 if private else 0o666, updated)
    given = {option: Path(p) for option, p in outputs.items() if p is not None and str(p) != ""}
    try:
        seen: dict[str, Path] = {}
        for option, target in given.items():
            _check_target(option, target, sources, force or option in updated)
            for other_option, other in seen.items():
                if _same_file(target, other):
                    raise OutputError(
                        f"{option} {target} and {other_option} {other} "
                        "name the same file; give each output its own path"
                    )
            seen[option] = target
        for option, target in given.items():
            staged._add(option, target)
    except BaseException:
        staged.discard()
        raise
    return staged
