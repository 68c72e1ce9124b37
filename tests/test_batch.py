"""``formcheck batch`` on a real Ray cluster and a real PostgreSQL, and embedded with SQLite.

The cluster is started once for the module on 127.0.0.1: ``ray start --head`` and a second worker
node process, one CPU each, stopped at the end by their own process groups (never ``ray stop``,
which would stop every Ray on the machine). The clips are the short rendered samples.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from formcheck.batch.identity import clip_identity
from formcheck.history.store import HistoryStore
from tests.postgres import Cluster
from tests.support.inputs import write_video
from tests.support.paths import REPO

pytestmark = pytest.mark.slow

SAMPLES = REPO / "sample_videos"
# The manifest's clips: two exercises, short (11-15 s at 20 fps).
CLIPS = [
    ("box_squat_front_clean.mp4", "box_squat"),
    ("box_squat_front_valgus_20.mp4", "box_squat"),
    ("hip_hinge_side_too_fast_0.8.mp4", "hip_hinge"),
]
RAY_BIN = Path(sys.executable).parent / "ray"
# Ray itself refuses a worker node while RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (the setting that
# keeps every node on 127.0.0.1); only that refusal in the `ray start` command is lifted here, so
# the second node still listens on loopback only.
_WORKER_NODE = """
import sys, types
from ray._private import ray_constants
import ray.scripts.scripts as scripts
names = {k: getattr(ray_constants, k) for k in dir(ray_constants) if not k.startswith("__")}
scripts.ray_constants = types.SimpleNamespace(**{**names, "ENABLE_RAY_CLUSTER": True})
sys.argv = ["ray", *sys.argv[1:]]
sys.exit(scripts.main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FORMCHECK_DB")}
    env.update(
        PYTHONPATH=str(REPO),
        # The test's cluster listens on loopback only and runs without Ray's token
        # authentication; said for every process, so that a token another tool left in
        # ~/.ray makes `ray start` and the clients disagree on neither.
        RAY_AUTH_MODE="disabled",
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
        RAY_USAGE_STATS_ENABLED="0",
        **extra,
    )
    return env


def _node_ports() -> list[str]:
    names = ("dashboard-agent-listen", "dashboard-agent-grpc", "metrics-export")
    names += ("runtime-env-agent", "node-manager", "object-manager")
    return [f"--{name}-port={_free_port()}" for name in names]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a node started here: its process group, politely then for good."""
    for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _nodes_alive(address: str) -> int:
    code = f"import ray; ray.init(address={address!r}); print(sum(n['Alive'] for n in ray.nodes()))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120
    )
    return int(done.stdout.strip() or 0) if done.returncode == 0 else 0


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A head node and a worker node on 127.0.0.1 (one CPU each); yields the address."""
    logs = tmp_path_factory.mktemp("ray-logs")
    # Ray's socket paths must stay under 107 bytes: pytest's folders are too deep for them.
    temp_dir = Path(tempfile.mkdtemp(prefix="fc-ray-"))
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--block", "--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats"]
    head = subprocess.Popen(
        [
            *(str(RAY_BIN), "start", "--head", f"--port={port}", "--include-dashboard=false"),
            *(f"--temp-dir={temp_dir}", *_node_ports(), *common),
        ],
        env=_env(),
        start_new_session=True,
        stdout=(logs / "head.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    nodes: list[subprocess.Popen[bytes]] = [head]
    try:
        deadline = time.monotonic() + 180
        while _nodes_alive(address) < 1:
            log = (logs / "head.log").read_text()[-2000:]
            assert head.poll() is None and time.monotonic() < deadline, log
            time.sleep(1)
        worker = subprocess.Popen(
            [
                *(sys.executable, "-c", _WORKER_NODE, "start", f"--address={address}"),
                *_node_ports(),
                *common,
            ],
            env=_env(),
            start_new_session=True,
            stdout=(logs / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        nodes.insert(0, worker)
        while _nodes_alive(address) < 2:
            log = (logs / "worker.log").read_text()[-2000:]
            assert worker.poll() is None and time.monotonic() < deadline, log
            time.sleep(1)
        yield address
    finally:
        for node in nodes:  # the worker node first, while the head can still answer it
            _stop(node)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three clips in a folder with a manifest, two patients."""
    folder = tmp_path_factory.mktemp("archive")
    rows = []
    for i, (clip, exercise) in enumerate(CLIPS):
        shutil.copy(SAMPLES / clip, folder / clip)
        rows.append({"clip": clip, "patient": "Anna K" if i < 2 else "Ben L", "exercise": exercise})
    path = folder / "clips.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, ["clip", "patient", "exercise"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def analyzed(
    tmp_path_factory: pytest.TempPathFactory, model_path: Path
) -> dict[str, dict[str, Any]]:
    """What ``formcheck analyze --json`` writes for each clip."""
    from formcheck.cli import main

    out = tmp_path_factory.mktemp("analyze")
    results = {}
    for clip, exercise in CLIPS:
        target = out / f"{clip}.json"
        args = ["analyze", str(SAMPLES / clip), "--exercise", exercise, "--json", str(target)]
        assert main([*args, "--quiet", "--model", str(model_path)]) == 0
        results[clip] = json.loads(target.read_text())
    return results


def _batch(
    *args: str, db: str, address: str | None = None, wait: bool = True
) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "formcheck.cli", "batch", *args, "--quiet"]
    if address:
        command += ["--address", address]
    if not wait:
        return subprocess.Popen(
            command, env=_env(FORMCHECK_DB=db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
    return subprocess.run(
        command, env=_env(FORMCHECK_DB=db), capture_output=True, text=True, timeout=600
    )


def _sessions(db: str) -> list[Any]:
    with HistoryStore(db) as store:
        return store.sessions()


def _without_timing(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "processing"} | {
        "processing": {"model": result["processing"]["model"]}
    }


def test_a_cluster_batch_saves_what_analyze_finds_and_a_rerun_skips_it(
    ray_cluster: str,
    postgres_cluster: Cluster,
    manifest: Path,
    analyzed: dict[str, dict[str, Any]],
    tmp_path: Path,
) -> None:
    db = postgres_cluster.new_database()
    summary = tmp_path / "summary.json"
    done = _batch(
        str(manifest), "--out", str(tmp_path / "out"), "--json", str(summary),
        db=db, address=ray_cluster,
    )  # fmt: skip
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr
    report = json.loads(summary.read_text())
    assert (report["saved"], report["skipped"], report["failed"]) == (3, 0, 0)
    assert report["exercises"]["box_squat"]["clips"] == 2
    assert "box_squat" in done.stdout and "hip_hinge" in done.stdout  # the per-exercise table
    # scenario: each clip's result is exactly analyze's, apart from how long it took
    for clip, exercise in CLIPS:
        batch = json.loads((tmp_path / "out" / f"{Path(clip).stem}.{exercise}.json").read_text())
        assert _without_timing(batch) == _without_timing(analyzed[clip]), clip
    sessions = _sessions(db)
    assert sorted(s.clip for s in sessions) == sorted(c for c, _ in CLIPS)
    assert {s.source for s in sessions} == {"batch"}
    assert sorted({s.patient_name for s in sessions}) == ["Anna K", "Ben L"]
    # scenario: the same batch again: everything skipped, nothing added
    again = _batch(str(manifest), "--json", str(summary), "--force", db=db, address=ray_cluster)
    assert isinstance(again, subprocess.CompletedProcess)
    assert again.returncode == 0, again.stderr
    report = json.loads(summary.read_text())
    assert (report["saved"], report["skipped"], report["failed"]) == (0, 3, 0)
    assert len(_sessions(db)) == 3


def _clip_worker_pids(timeout_s: float) -> list[int]:
    """Ray worker processes analysing a clip right now (Ray titles them by the method)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        busy = []
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:  # not a process, or one that just ended
                continue
            if entry.name.isdigit() and cmdline.startswith(b"ray::ClipWorker.analyse"):
                busy.append(int(entry.name))
        if busy:
            return busy
        time.sleep(0.2)
    return []


def test_a_worker_killed_mid_batch_is_replaced_and_every_clip_saved_once(
    ray_cluster: str, postgres_cluster: Cluster, manifest: Path, tmp_path: Path
) -> None:
    db = postgres_cluster.new_database()
    summary = tmp_path / "summary.json"
    running = _batch(str(manifest), "--json", str(summary), db=db, address=ray_cluster, wait=False)
    assert isinstance(running, subprocess.Popen)
    busy = _clip_worker_pids(timeout_s=120)
    assert busy, "no worker started analysing"
    time.sleep(1.0)  # well into the clip
    os.kill(busy[0], signal.SIGKILL)
    _, err = running.communicate(timeout=600)
    assert running.returncode == 0, err
    report = json.loads(summary.read_text())
    assert report["failed"] == 0 and report["saved"] + report["skipped"] == 3
    sessions = _sessions(db)
    assert sorted(s.clip for s in sessions) == sorted(c for c, _ in CLIPS), "each saved once"


def test_two_overlapping_batches_save_each_clip_once(
    ray_cluster: str, postgres_cluster: Cluster, manifest: Path, tmp_path: Path
) -> None:
    db = postgres_cluster.new_database()
    HistoryStore(db).close()  # the schema made once, before both start
    runs = []
    for i in range(2):
        args = [str(manifest), "--workers", "1", "--json", str(tmp_path / f"s{i}.json")]
        runs.append(_batch(*args, db=db, address=ray_cluster, wait=False))
    for run in runs:
        assert isinstance(run, subprocess.Popen)
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    reports = [json.loads((tmp_path / f"s{i}.json").read_text()) for i in range(2)]
    assert sum(r["saved"] for r in reports) == 3
    assert all(r["saved"] + r["skipped"] == 3 for r in reports)
    assert sorted(s.clip for s in _sessions(db)) == sorted(c for c, _ in CLIPS)


def test_bad_clips_are_listed_with_their_reasons_and_the_good_one_saved(
    ray_cluster: str, postgres_cluster: Cluster, tmp_path: Path
) -> None:
    db = postgres_cluster.new_database()
    shutil.copy(SAMPLES / "hip_hinge_side_too_fast_0.8.mp4", tmp_path / "good.mp4")
    (tmp_path / "corrupt.mp4").write_bytes(os.urandom(4096))
    write_video(tmp_path / "nobody.mp4", 160, 120, 10)
    rows = [
        ("good.mp4", "Anna K", "hip_hinge"),
        ("corrupt.mp4", "Anna K", "hip_hinge"),
        ("nobody.mp4", "Anna K", "hip_hinge"),
        ("good.mp4", "Anna K", "no_such_exercise"),
    ]
    manifest = tmp_path / "clips.csv"
    manifest.write_text("clip,patient,exercise\n" + "".join(",".join(r) + "\n" for r in rows))
    summary = tmp_path / "summary.json"
    done = _batch(str(manifest), "--json", str(summary), db=db, address=ray_cluster)
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 1, done.stderr
    report = json.loads(summary.read_text())
    reasons = {(f["clip"], f["exercise"]): f["reason"] for f in report["failures"]}
    assert set(reasons) == {
        ("corrupt.mp4", "hip_hinge"),
        ("nobody.mp4", "hip_hinge"),
        ("good.mp4", "no_such_exercise"),
    }
    assert "not a readable video" in reasons[("corrupt.mp4", "hip_hinge")]
    assert "no person" in reasons[("nobody.mp4", "hip_hinge")]
    assert "no_such_exercise" in reasons[("good.mp4", "no_such_exercise")]
    assert all("\n" not in r for r in reasons.values())
    for clip, exercise in reasons:
        assert f"failed: {clip} ({exercise}):" in done.stdout
    assert [s.clip for s in _sessions(db)] == ["good.mp4"]


def test_the_embedded_default_saves_a_folder_into_sqlite(tmp_path: Path, model_path: Path) -> None:
    # scenario: a user's first try: no cluster, no server, the default SQLite history
    folder = tmp_path / "clips"
    folder.mkdir()
    for clip in ("box_squat_front_clean.mp4", "box_squat_front_valgus_20.mp4"):
        shutil.copy(SAMPLES / clip, folder / clip)
    db = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    done = _batch(str(folder), "--exercise", "box_squat", "--patient", "Anna K", db=db)
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr
    assert "2 clips: 2 saved, 0 skipped, 0 failed" in done.stdout
    sessions = _sessions(db)
    assert [(s.source, s.patient_name) for s in sessions] == [("batch", "Anna K")] * 2


def test_bench_prints_both_rates_as_its_last_line(ray_cluster: str, manifest: Path) -> None:
    done = _batch(str(manifest), "--bench", db="sqlite:///unused", address=ray_cluster)
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["workers"] == 2 and figures["clips"] == 3
    assert figures["frames_per_s_1"] > 0 and figures["frames_per_s_all"] > 0
    assert figures["speedup"] == pytest.approx(
        figures["frames_per_s_all"] / figures["frames_per_s_1"], rel=0.02
    )


@pytest.mark.parametrize(
    ("args", "db", "message"),
    [
        # scenario: a cluster with the default SQLite history
        (["{folder}", "--exercise", "box_squat", "--patient", "A", "--address", "127.0.0.1:1"],
         "sqlite:///{tmp}/h.sqlite3", "PostgreSQL history"),
        # scenario: a folder without its exercise
        (["{folder}", "--patient", "A"], "sqlite:///{tmp}/h.sqlite3", "--exercise ID"),
        # scenario: an exercise that does not exist
        (["{folder}", "--exercise", "nope", "--patient", "A"], "sqlite:///{tmp}/h.sqlite3",
         "nope"),
        # scenario: a manifest without the patient column
        (["{tmp}/bad.csv"], "sqlite:///{tmp}/h.sqlite3", "lacks the column(s) patient"),
        # scenario: no such source
        (["{tmp}/missing"], "sqlite:///{tmp}/h.sqlite3", "no such folder or manifest"),
    ],
)  # fmt: skip
def test_bad_arguments_end_with_one_line_and_status_2(
    tmp_path: Path, args: list[str], db: str, message: str
) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(SAMPLES / "box_squat_front_clean.mp4", folder)
    (tmp_path / "bad.csv").write_text("clip,exercise\nx.mp4,box_squat\n")
    filled = [a.format(folder=folder, tmp=tmp_path) for a in args]
    done = _batch(*filled, db=db.format(tmp=tmp_path))
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("formcheck: error: "), done.stderr
    assert message in lines[0]
    assert not (tmp_path / "h.sqlite3").exists(), "nothing written"


@pytest.mark.parametrize(
    "changed",
    [
        # scenario: other bytes, another exercise, an edited spec, another model
        ("b" * 64, "box_squat", "s1", "m" * 64),
        ("a" * 64, "hip_hinge", "s1", "m" * 64),
        ("a" * 64, "box_squat", "s2", "m" * 64),
        ("a" * 64, "box_squat", "s1", "n" * 64),
    ],
)
def test_the_identity_changes_with_each_of_its_parts(changed: tuple[str, str, str, str]) -> None:
    base = clip_identity("a" * 64, "box_squat", "s1", "m" * 64)
    assert clip_identity(*changed) != base
    assert len(base) == 64 and clip_identity("a" * 64, "box_squat", "s1", "m" * 64) == base
