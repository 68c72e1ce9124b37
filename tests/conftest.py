"""Shared fixtures: the real clips and the pose model (or a skip), a throwaway history, a
PostgreSQL server. Shared helpers and constants live in :mod:`tests.support`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import Cluster, find_bin_dir, start_cluster
from tests.support.paths import CLIPS_DIR


@pytest.fixture
def clips_dir() -> Path:
    if not (CLIPS_DIR / "manifest.json").exists():
        pytest.skip(f"real clips not available: {CLIPS_DIR} is absent")
    return CLIPS_DIR


@pytest.fixture(scope="session")
def model_path() -> Path:
    from formcheck.pose.model_store import ModelInstallError, resolve_model

    try:
        return resolve_model()
    except ModelInstallError as exc:
        pytest.skip(f"pose model not installed: {exc}")


@pytest.fixture(scope="session", autouse=True)
def _history_in_a_throwaway_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test touches the user's own history: the default SQLite file goes to a throwaway data
    folder (app servers that tests start inherit it) and a ``FORMCHECK_DB`` from the shell is
    ignored; a test that wants a database names its own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
        mp.delenv("FORMCHECK_DB", raising=False)
        yield


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A temporary PostgreSQL server for the whole run (see tests/postgres.py)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in "
            "/usr/lib/postgresql/*/bin): apt-get install postgresql"
        )
    cluster = start_cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty history database: an SQLite file, then a database on the test cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database()
