"""Ray for a batch: started embedded on this machine or joined by address, and the clips spread
over long-lived :class:`~formcheck.batch.worker.ClipWorker` actors, one per core.

Embedded, Ray keeps every address on 127.0.0.1 (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``: left to
itself on Linux it listens on the machine's network address, with no authentication) and sends
no usage statistics. A cluster given by ``--address`` is the user's own choice, secured as Ray's
documentation says. A worker process that dies mid-clip is restarted by Ray and the clip retried
(actor restarts and task retries); the history's unique clip identity keeps a retried clip from
being saved twice.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from formcheck.batch.inputs import ClipJob
from formcheck.batch.worker import ClipOutcome, ClipWorker, WorkerSettings

# Keeps every Ray address on 127.0.0.1 (set for a Ray on this machine only: a cluster's nodes
# talk over the network), and no usage statistics sent.
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
NO_USAGE_STATS_ENV = {"RAY_USAGE_STATS_ENABLED": "0"}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
# A worker killed mid-clip is started again and the clip retried this many times.
MAX_RESTARTS = 3


class BatchSetupError(Exception):
    """The batch cannot run as asked (a cluster with a SQLite history, Ray unreachable)."""


def ray_address(option: str | None) -> str | None:
    """``--address``, else ``$RAY_ADDRESS``, else ``None`` (Ray embedded on this machine)."""
    return option or os.environ.get("RAY_ADDRESS") or None


def check_history_for(address: str | None, db_url: str) -> None:
    """Refuse a SQLite history for a batch on a cluster.

    Raises:
        BatchSetupError: ``address`` is set and ``db_url`` is SQLite.
    """
    if address and db_url.startswith("sqlite"):
        raise BatchSetupError(
            "a batch on a Ray cluster (--address or RAY_ADDRESS) saves into a PostgreSQL history: "
            "several machines cannot share one SQLite file; set "
            "FORMCHECK_DB=postgresql://user@host:5432/db"
        )


@contextmanager
def ray_session(address: str | None, num_cpus: int) -> Iterator[int]:
    """Ray started (``num_cpus`` on this machine) or joined at ``address``; yields the cluster's
    CPU count. Only a Ray started here is stopped afterwards.

    Raises:
        BatchSetupError: Ray cannot start or the cluster cannot be reached.
    """
    local = address is None or address.rsplit(":", 1)[0] in LOOPBACK_HOSTS
    for key, value in {**NO_USAGE_STATS_ENV, **(LOOPBACK_ENV if local else {})}.items():
        os.environ.setdefault(key, value)  # read by Ray when it is imported
    import ray

    options: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **options)
        else:
            # "local": a Ray of our own, never another one found running on this machine.
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "Ray on this machine"
        reason = " ".join(str(exc).split())[:300]
        raise BatchSetupError(f"cannot start or reach {where}: {reason}") from None
    try:
        yield int(ray.cluster_resources().get("CPU", 1))
    finally:
        ray.shutdown()


@dataclass
class Progress:
    """Counts for the progress bar, updated as each clip comes back."""

    saved: int = 0
    skipped: int = 0
    failed: int = 0
    analysed: int = 0
    frames: int = 0

    def add(self, outcome: ClipOutcome) -> None:
        """Count one finished clip."""
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)
        if outcome.status in ("saved", "analysed"):
            self.frames += outcome.frames


def run_jobs(
    jobs: Sequence[ClipJob],
    patient_ids: dict[str, int],
    settings: WorkerSettings,
    model_bytes: Any,
    workers: int,
    on_outcome: Callable[[ClipOutcome], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> list[ClipOutcome]:
    """Every job through ``workers`` actors (inside :func:`ray_session`), each clip's outcome
    as it comes back.

    Args:
        jobs: The clips.
        patient_ids: Patient name -> id; a job whose patient is missing is analysed unsaved
            only when ``settings.db_url`` is None, otherwise it fails.
        settings: Shared by every worker.
        model_bytes: The model bundle (bytes, or a Ray object reference to them).
        workers: How many actors.
        on_outcome: Called with each clip's outcome, in the order they finish.
        on_ready: Called once every worker has loaded (before the first clip).
    """
    import ray
    from ray.exceptions import RayError

    remote = ray.remote(num_cpus=1, max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)
    actor_class = remote(ClipWorker)
    model_ref = model_bytes if isinstance(model_bytes, ray.ObjectRef) else ray.put(model_bytes)
    actors: list[Any] = [actor_class.remote(settings, model_ref) for _ in range(max(1, workers))]
    ray.get([a.pid.remote() for a in actors])
    if on_ready:
        on_ready()
    pending = deque(jobs)
    running: dict[Any, tuple[Any, ClipJob]] = {}
    outcomes: list[ClipOutcome] = []

    def finish(outcome: ClipOutcome) -> None:
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    def submit(actor: Any) -> None:
        while pending:
            job = pending.popleft()
            patient_id = patient_ids.get(job.patient)
            if settings.db_url is not None and patient_id is None:
                finish(ClipOutcome(job.name, job.exercise, "failed", _no_patient(job)))
                continue
            running[actor.analyse.remote(job, patient_id)] = (actor, job)
            return

    for actor in actors:
        submit(actor)
    while running:
        ready, _ = ray.wait(list(running), num_returns=1)
        actor, job = running.pop(ready[0])
        try:
            outcome = ray.get(ready[0])
        except RayError as exc:
            # The worker died more often than it may be restarted: this clip fails, and the
            # worker takes no more.
            reason = f"the worker analysing it stopped ({type(exc).__name__})"
            finish(ClipOutcome(job.name, job.exercise, "failed", reason))
            continue
        finish(outcome)
        submit(actor)
    for job in pending:  # every worker is gone
        finish(ClipOutcome(job.name, job.exercise, "failed", "no worker was left to analyse it"))
    for actor in actors:
        ray.kill(actor)
    return outcomes


def _no_patient(job: ClipJob) -> str:
    if not job.patient:
        return "the manifest gives no patient for it"
    return f"the patient {job.patient!r} could not be found or added"


def bench(
    jobs: Sequence[ClipJob], settings: WorkerSettings, model_bytes: bytes, workers: int
) -> dict[str, Any]:
    """Frames a second over ``jobs`` with one worker, then with ``workers``; nothing saved.

    Each figure runs from the first clip handed out to the last result back, the workers
    loaded beforehand (inside :func:`ray_session`).
    """
    import ray

    settings = WorkerSettings(settings.model_name, settings.model_sha256)
    model_ref = ray.put(model_bytes)
    figures: dict[int, tuple[int, float, int]] = {}
    for count in dict.fromkeys((1, workers)):
        clock: dict[str, float] = {}

        def start(clock: dict[str, float] = clock) -> None:
            clock["start"] = time.perf_counter()

        outcomes = run_jobs(jobs, {}, settings, model_ref, count, on_ready=start)
        seconds = time.perf_counter() - clock["start"]
        frames = sum(o.frames for o in outcomes if o.status == "analysed")
        failed = sum(o.status == "failed" for o in outcomes)
        figures[count] = (frames, seconds, failed)
    frames_1, seconds_1, _ = figures[1]
    frames_n, seconds_n, failed = figures[workers]
    fps_1 = frames_1 / seconds_1 if seconds_1 > 0 else 0.0
    fps_n = frames_n / seconds_n if seconds_n > 0 else 0.0
    return {
        "workers": workers,
        "clips": len(jobs),
        "failed": failed,
        "frames": frames_n,
        "seconds_1": round(seconds_1, 2),
        "seconds_all": round(seconds_n, 2),
        "frames_per_s_1": round(fps_1, 1),
        "frames_per_s_all": round(fps_n, 1),
        "speedup": round(fps_n / fps_1, 2) if fps_1 > 0 else None,
    }
