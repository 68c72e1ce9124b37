"""The app server with a stopwatch on every stage a live frame goes through (a benchmark aid).

``python -m tests.browser.live_profile STATS.json [streamlit run options]`` runs ``app.py`` as
``streamlit run`` would, after wrapping these callables with timers:

- ``decode_in``: aiortc decoding the browser's VP8 frame (its own thread),
- ``process_frame``: the whole callback on streamlit-webrtc's worker thread, made of
  ``process`` (``detect``: the pose model, ``engine``: session, cue and snapshot, ``overlay``)
  and the conversions around it (``to_video_frame`` when it exists, the rest by difference),
- ``encode_out``: aiortc encoding the returned frame (a thread of the default executor),
- ``script_run``: one run of the page script or of a fragment (the Practice page reruns its
  metrics panel every ``REFRESH_S``), on Streamlit's script thread.

It also records the longest queue of frames waiting in each of aiortc's relays (``relay_queue_max``:
a queue that keeps growing is a returned video falling behind).

Every two seconds it writes the counts and total seconds of each, the CPU time of each of its
threads (by Python thread name), its RSS and where ``formcheck`` was imported from, to STATS.json.
Nothing here changes what the stages do. Only classes and module attributes are wrapped before
the server starts; streamlit-webrtc itself is not imported here, because importing it before the
server exists registers its component where the server does not look.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DUMP_EVERY_S = 2.0

_stats: dict[str, list[float]] = {}
_relay_queue_max: dict[str, int] = {}
_lock = threading.Lock()


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` counting its calls, wall seconds and the calling thread's CPU seconds."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed, cpu = time.perf_counter() - start, time.thread_time() - start_cpu
            with _lock:
                entry = _stats.setdefault(name, [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] += elapsed
                entry[2] += cpu

    return wrapper


def _watch_relays() -> None:
    import aiortc.contrib.media as media

    recv = media.RelayStreamTrack.recv

    async def watched(self: Any) -> Any:
        if self._queue is not None:
            with _lock:
                key = f"{self.kind}-{id(self)}"
                _relay_queue_max[key] = max(_relay_queue_max.get(key, 0), self._queue.qsize())
        return await recv(self)

    media.RelayStreamTrack.recv = watched  # type: ignore[method-assign]


def _install() -> str:
    import aiortc.codecs.h264 as h264
    import aiortc.codecs.vpx as vpx
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    import formcheck
    import formcheck.ui.live as live
    from formcheck.engine.session import ExerciseSession
    from formcheck.pose.mediapipe_backend import MediaPipePoseBackend

    for cls, name in ((vpx.Vp8Decoder, "decode_in"), (h264.H264Decoder, "decode_in")):
        cls.decode = _timed(name, cls.decode)  # type: ignore[method-assign]
    for enc, name in ((vpx.Vp8Encoder, "encode_out"), (h264.H264Encoder, "encode_out")):
        enc.encode = _timed(name, enc.encode)  # type: ignore[method-assign]
    live.LiveProcessor.process_frame = _timed(  # type: ignore[method-assign]
        "process_frame", live.LiveProcessor.process_frame
    )
    live.LiveProcessor.process = _timed("process", live.LiveProcessor.process)  # type: ignore[method-assign]
    MediaPipePoseBackend.detect = _timed("detect", MediaPipePoseBackend.detect)  # type: ignore[method-assign]
    ExerciseSession.update = _timed("engine", ExerciseSession.update)  # type: ignore[method-assign]
    live.draw_overlay = _timed("overlay", live.draw_overlay)
    if hasattr(live, "to_video_frame"):
        live.to_video_frame = _timed("to_video_frame", live.to_video_frame)
    ScriptRunner._run_script = _timed("script_run", ScriptRunner._run_script)  # type: ignore[method-assign]
    _watch_relays()
    return str(Path(formcheck.__file__).parent)


def _thread_cpu_ms() -> dict[str, float]:
    """CPU time of each thread of this process, keyed ``tid:name``."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    task_dir = Path(f"/proc/{os.getpid()}/task")
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    for task in task_dir.iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        name = names.get(int(task.name), comm)
        out[f"{task.name}:{name}"] = (int(fields[11]) + int(fields[12])) * tick_ms
    return out


def _dump_forever(path: Path, package: str) -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    while True:
        time.sleep(DUMP_EVERY_S)
        with _lock:
            stats = {k: list(v) for k, v in _stats.items()}
            relays = dict(_relay_queue_max)
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * page
        data = {
            "time_s": time.monotonic(),
            "stages": stats,
            "threads_cpu_ms": _thread_cpu_ms(),
            "rss_bytes": rss,
            "relay_queue_max": relays,
            "formcheck": package,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)


def main() -> None:
    stats_path = Path(sys.argv[1])
    package = _install()
    threading.Thread(
        target=_dump_forever, args=(stats_path, package), name="live-profile", daemon=True
    ).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", "app.py", *sys.argv[2:]]
    cli.main()


if __name__ == "__main__":
    main()
