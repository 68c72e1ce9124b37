"""A throwaway PostgreSQL server for the history tests: a real server, never a mock.

:func:`start_cluster` runs ``initdb`` into a new temporary folder and ``pg_ctl start`` on
127.0.0.1 at a free port; :meth:`Cluster.new_database` gives each test its own empty database.
``initdb`` refuses to run as root, so when the tests run as root (as here and in CI) the server
runs as the ``postgres`` user that Debian's ``postgresql`` package creates (or ``nobody``).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "formcheck"
UNPRIVILEGED_USERS = ("postgres", "nobody")


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: the PATH first, then Debian's layout
    (``/usr/lib/postgresql/<major>/bin``, newest major first)."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    majors = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
        reverse=True,
    )
    return Path(majors[0]).parent if majors else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _run_as() -> tuple[Callable[[], None] | None, int, int]:
    """(preexec_fn, uid, gid) dropping root to an unprivileged user; no-op when not root."""
    if os.geteuid() != 0:
        return None, os.getuid(), os.getgid()
    entry = None
    for name in UNPRIVILEGED_USERS:
        try:
            entry = pwd.getpwnam(name)
            break
        except KeyError:
            continue
    if entry is None:
        raise RuntimeError(f"running as root and none of {UNPRIVILEGED_USERS} exists for initdb")
    uid, gid = entry.pw_uid, entry.pw_gid

    def drop() -> None:
        os.setgid(gid)
        os.setgroups([])
        os.setuid(uid)

    return drop, uid, gid


@dataclass
class Cluster:
    """A running temporary server; :meth:`stop` removes it."""

    bin_dir: Path
    root: Path
    port: int
    preexec: Callable[[], None] | None
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"t{next(self._names)}"
        dsn = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        args = ("-D", "data", "-m", "immediate", "stop")
        _pg(self.bin_dir / "pg_ctl", self.preexec, self.root, *args)
        shutil.rmtree(self.root, ignore_errors=True)


def _pg(
    program: Path, preexec: Callable[[], None] | None, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(program), *args],
        preexec_fn=preexec,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def start_cluster(bin_dir: Path) -> Cluster:
    """initdb and start a server; raises RuntimeError with the server's log when it fails."""
    preexec, uid, gid = _run_as()
    # Not under pytest's tmp folder: that one is private to root and the server runs as
    # another user.
    root = Path(tempfile.mkdtemp(prefix="formcheck-pg-"))
    os.chown(root, uid, gid)
    log = root / "server.log"
    init = _pg(
        bin_dir / "initdb", preexec, root,
        "-D", "data", "-U", SUPERUSER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C",
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
    for _attempt in range(3):  # another process may take the free port before the server does
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
        start = _pg(
            bin_dir / "pg_ctl", preexec, root, "-D", "data", "-l", str(log), "-o", options, "start"
        )
        if start.returncode == 0:
            return Cluster(bin_dir, root, port, preexec)
    text = log.read_text() if log.exists() else start.stderr
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {text.strip()[-2000:]}")
