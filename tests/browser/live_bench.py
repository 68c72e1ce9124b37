"""Live practice in a real browser, measured: analysed frames a second as the page shows them,
milliseconds per frame of each stage, CPU per thread, and the server's memory over time.

    python -m tests.browser.live_bench [--seconds 60] [--warmup-s 15] [--camera-fps 30]
                                       [--tabs 1] [--record] [--app-dir DIR] [--json OUT]

Headless Chromium plays the labelled squat clip as a 640x480 webcam at ``--camera-fps`` (looped),
presses START on the Practice page (box squat, full model) and reads the page's "checking N of M
frames a second" line every second. The server runs under :mod:`tests.browser.live_profile`, which
times each stage. ``--record`` chooses a patient (in a throwaway history) and switches the set's
video recording on before START; the recordings are deleted afterwards. ``--app-dir`` runs another
copy of the project (e.g. the code before a change) with this one's tools. The browser tests use
the helpers here too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.browser.conftest import (
    REPO,
    SQUAT_CLIP,
    _free_port,
    launch_chromium,
    running_server,
)
from tests.browser.dom import button_in_frames, camera_stop, choose

_RATE = re.compile(r"checking (\d+)(?: of (\d+))? frames a second")
# Stages timed by live_profile, in the order a frame meets them.
STAGES = ("decode_in", "process_frame", "detect", "engine", "overlay", "to_video_frame")
BENCH_PATIENT = "Bench"
PAGE = "script_run"
ENCODE = "encode_out"


def fake_camera(fps: int, folder: Path, clip: Path = SQUAT_CLIP) -> Path:
    """The clip as a 640x480 .y4m webcam file at ``fps`` (made once per folder and rate)."""
    out = folder / f"{clip.stem}-{fps}fps.y4m"
    if not out.exists():
        video_filter = f"scale=-2:480,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps={fps}"
        part = out.with_suffix(".part.y4m")
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-vf", video_filter,
             "-pix_fmt", "yuv420p", str(part)],
            check=True,
            timeout=300,
        )  # fmt: skip
        part.replace(out)
    return out


def listening_pid(port: int) -> int | None:
    """The process listening on TCP ``port`` on this machine (found through /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":  # LISTEN
                    inodes.add(cols[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(proc.name)
    return None


def running(pid: int) -> bool:
    """Whether ``pid`` exists and has not exited (a zombie waiting for its parent has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _cpu_ms(pids: list[int]) -> float:
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) * tick_ms
    return total


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                stat = (proc / "stat").read_text()
                parent = int(stat[stat.rindex(")") + 2 :].split()[1])
                children.setdefault(parent, []).append(int(proc.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


_SHOWN_FRAMES_JS = """
() => { const v = document.querySelector('video');
        if (!v || !v.getVideoPlaybackQuality) return null;
        return v.getVideoPlaybackQuality().totalVideoFrames; }
"""


def frames_shown(page: Any) -> int | None:
    """Frames of the returned (annotated) video the page has shown so far."""
    for frame in page.frames:
        if "streamlit_webrtc" in frame.url:
            shown = frame.evaluate(_SHOWN_FRAMES_JS)
            return int(shown) if shown is not None else None
    return None


def page_rates(page: Any) -> tuple[int, int | None] | None:
    """(analysed, camera) frames a second as the Practice page shows them, if shown."""
    match = _RATE.search(page.evaluate("() => document.body.innerText"))
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


@contextlib.contextmanager
def practice_page(browser: Any, url: str, exercise: str = "Box squat") -> Iterator[Any]:
    """A new browser session on the Practice page with ``exercise`` chosen, START not pressed;
    closed afterwards, which ends its stream."""
    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 1000})
    try:
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(f"{url}/")
        page.get_by_text("Where to put the laptop").wait_for()
        choose(page, "Exercise", exercise)
        page.get_by_text(f"Set-up: {exercise}").wait_for()
        yield page
    finally:
        context.close()


def press_start(page: Any) -> None:
    """Press the camera component's START (inside its iframe)."""
    button_in_frames(page, "START", timeout_s=90).click()


def press_stop(page: Any) -> None:
    """Press the camera component's STOP (not the page's "Stop - this hurts")."""
    camera_stop(page).click()


def switch_recording_on(page: Any, patient: str = BENCH_PATIENT) -> None:
    """Choose ``patient`` in the sidebar and switch the set's video recording on."""
    choose(page, "Whose history", patient)
    page.get_by_text("Record my video of this set").click()
    page.get_by_text("analysed and recorded on this computer").wait_for()


@contextlib.contextmanager
def practising(
    browser: Any, url: str, exercise: str = "Box squat", record: bool = False
) -> Iterator[Any]:
    """:func:`practice_page` with START pressed (and the video recorded, if ``record``)."""
    with practice_page(browser, url, exercise) as page:
        if record:
            switch_recording_on(page)
        press_start(page)
        yield page


@contextlib.contextmanager
def bench_history(work: Path) -> Iterator[Path]:
    """A throwaway history with :data:`BENCH_PATIENT` in it, named by ``$FORMCHECK_DB`` for the
    server started meanwhile; yields its recordings folder, deleted afterwards with the rest."""
    from formcheck.history.store import HistoryStore
    from formcheck.ui.recording import recordings_folder

    folder = work / "history"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    url = f"sqlite:///{folder / 'history.sqlite3'}"
    with HistoryStore(url) as store:
        store.add_patient(BENCH_PATIENT)
    saved = os.environ.get("FORMCHECK_DB")
    os.environ["FORMCHECK_DB"] = url
    try:
        yield recordings_folder(url)
    finally:
        if saved is None:
            os.environ.pop("FORMCHECK_DB", None)
        else:
            os.environ["FORMCHECK_DB"] = saved
        shutil.rmtree(folder, ignore_errors=True)


def _recorded_bytes(folder: Path | None) -> int | None:
    if folder is None or not folder.exists():
        return None
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@contextlib.contextmanager
def chromium(camera: Path) -> Iterator[Any]:
    """Headless Debian Chromium with ``camera`` as its webcam, for running this file by hand
    (the tests take theirs from the session's one Playwright)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, launch_chromium(pw, camera) as browser:
        yield browser


@contextlib.contextmanager
def profiled_server(app_dir: Path, stats: Path, log: Path) -> Iterator[tuple[str, int]]:
    """The app from ``app_dir`` under :mod:`tests.browser.live_profile`; yields URL and pid."""
    port = _free_port()
    (app_dir / "tests" / "browser").mkdir(parents=True, exist_ok=True)
    profile = app_dir / "tests" / "browser" / "live_profile.py"
    if not profile.exists() or app_dir.resolve() != REPO:
        profile.write_text((REPO / "tests" / "browser" / "live_profile.py").read_text())
    command = [
        sys.executable, "-m", "tests.browser.live_profile", str(stats),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with running_server(command, port, app_dir, None, log) as (url, process):
        yield url, process.pid


@dataclass
class Sample:
    time_s: float
    rates: list[tuple[int, int | None] | None]
    shown: list[int | None]
    server: dict[str, Any]
    browser_cpu_ms: float
    server_cpu_ms: float


@dataclass
class Measurement:
    samples: list[Sample] = field(default_factory=list)
    load_before: str = ""
    load_after: str = ""

    def report(self) -> dict[str, Any]:
        first, last = self.samples[0], self.samples[-1]
        span_s = last.server["time_s"] - first.server["time_s"]
        wall_s = last.time_s - first.time_s
        out: dict[str, Any] = {
            "window_s": round(span_s, 1),
            "load_average_before": self.load_before,
            "load_average_after": self.load_after,
            "formcheck": last.server["formcheck"],
        }
        tabs = len(first.rates)
        for tab in range(tabs):
            shown = [s.rates[tab] for s in self.samples if s.rates[tab] is not None]
            analysed = [r[0] for r in shown if r is not None]
            camera = [r[1] for r in shown if r is not None and r[1] is not None]
            out[f"tab{tab}_page_fps_median"] = statistics.median(analysed) if analysed else None
            out[f"tab{tab}_page_fps_min"] = min(analysed) if analysed else None
            out[f"tab{tab}_camera_fps_median"] = statistics.median(camera) if camera else None
            shown_a, shown_b = first.shown[tab], last.shown[tab]
            out[f"tab{tab}_returned_video_fps"] = (
                round((shown_b - shown_a) / wall_s, 1)
                if shown_a is not None and shown_b is not None
                else None
            )
        a, b = first.server["stages"], last.server["stages"]
        stages: dict[str, dict[str, float]] = {}
        for name in (*STAGES, "process", ENCODE, PAGE):
            before, after = a.get(name, [0, 0.0, 0.0]), b.get(name, [0, 0.0, 0.0])
            calls = after[0] - before[0]
            total, cpu = after[1] - before[1], after[2] - before[2]
            if calls:
                stages[name] = {
                    "per_s": round(calls / span_s, 1),
                    "ms_per_call": round(1000 * total / calls, 2),
                    "cpu_ms_per_call": round(1000 * cpu / calls, 2),
                    "ms_per_s": round(1000 * total / span_s, 1),
                }
        out["stages"] = stages
        ta, tb = first.server["threads_cpu_ms"], last.server["threads_cpu_ms"]
        threads = {k: round((tb[k] - ta.get(k, 0.0)) / span_s) for k in tb}
        out["threads_cpu_ms_per_s"] = {
            k: v for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v >= 5
        }
        out["server_cpu_ms_per_s"] = round((last.server_cpu_ms - first.server_cpu_ms) / wall_s)
        out["browser_cpu_ms_per_s"] = round((last.browser_cpu_ms - first.browser_cpu_ms) / wall_s)
        out["relay_queue_max"] = last.server.get("relay_queue_max", {})
        rss = [s.server["rss_bytes"] / 1e6 for s in self.samples]
        out["rss_mb_first_last_max"] = [round(rss[0]), round(rss[-1]), round(max(rss))]
        return out


def measure(
    camera_fps: int,
    seconds: float,
    warmup_s: float,
    tabs: int,
    app_dir: Path,
    work: Path,
    record: bool = False,
) -> dict[str, Any]:
    """Run live practice in ``tabs`` browser sessions and measure the last ``seconds``."""
    camera = fake_camera(camera_fps, work)
    stats = work / "stats.json"
    stats.unlink(missing_ok=True)
    result = Measurement(load_before=load_average())
    recordings: Path | None = None
    recorded_bytes: int | None = None
    with contextlib.ExitStack() as stack:
        if record:
            recordings = stack.enter_context(bench_history(work))
        url, server_pid = stack.enter_context(profiled_server(app_dir, stats, work / "server.log"))
        browser = stack.enter_context(chromium(camera))
        pages = [stack.enter_context(practising(browser, url, record=record)) for _ in range(tabs)]
        started = time.monotonic()
        me = os.getpid()
        while time.monotonic() - started < warmup_s + seconds:
            time.sleep(1.0)
            rates = [page_rates(p) for p in pages]
            if time.monotonic() - started < warmup_s:
                continue
            shown = [frames_shown(p) for p in pages]
            with contextlib.suppress(OSError, ValueError):
                server = json.loads(stats.read_text())
                others = [p for p in _descendants(me) if p not in (me, server_pid)]
                result.samples.append(
                    Sample(
                        time.monotonic(),
                        rates,
                        shown,
                        server,
                        _cpu_ms(others),
                        _cpu_ms([server_pid]),
                    )
                )
        recorded_bytes = _recorded_bytes(recordings)
    result.load_after = load_average()
    report = result.report()
    report.update(camera_fps=camera_fps, tabs=tabs, record=record, recorded_bytes=recorded_bytes)
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"camera {report['camera_fps']} fps, {report['tabs']} tab(s), "
        f"recording {'on' if report.get('record') else 'off'}, "
        f"window {report['window_s']} s, load average {report['load_average_before']} -> "
        f"{report['load_average_after']}",
        f"formcheck from {report['formcheck']}",
    ]
    for tab in range(report["tabs"]):
        lines.append(
            f"tab {tab}: page shows {report[f'tab{tab}_page_fps_median']} analysed frames/s "
            f"(median; min {report[f'tab{tab}_page_fps_min']}), camera "
            f"{report[f'tab{tab}_camera_fps_median']}, returned video shown at "
            f"{report[f'tab{tab}_returned_video_fps']} fps"
        )
    lines.append(f"{'stage':16s} {'calls/s':>8s} {'ms/call':>8s} {'cpu ms/call':>12s} {'ms/s':>7s}")
    for name, s in report["stages"].items():
        lines.append(
            f"{name:16s} {s['per_s']:8.1f} {s['ms_per_call']:8.2f} "
            f"{s['cpu_ms_per_call']:12.2f} {s['ms_per_s']:7.1f}"
        )
    lines.append("server threads, CPU ms per s: " + ", ".join(
        f"{k.split(':', 1)[1]} {v}" for k, v in report["threads_cpu_ms_per_s"].items()
    ))  # fmt: skip
    lines.append(
        f"CPU ms per s: server {report['server_cpu_ms_per_s']}, "
        f"browser {report['browser_cpu_ms_per_s']}; server RSS MB first/last/max "
        f"{report['rss_mb_first_last_max']}; longest relay queues {report['relay_queue_max']}"
    )
    if report.get("recorded_bytes") is not None:
        lines.append(f"recorded {report['recorded_bytes'] / 1e6:.1f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup-s", type=float, default=15)
    parser.add_argument("--camera-fps", type=int, default=30)
    parser.add_argument("--tabs", type=int, default=1)
    parser.add_argument(
        "--record", action="store_true", help="record each set's video (a throwaway history)"
    )
    parser.add_argument("--app-dir", type=Path, default=REPO)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    work = Path(tempfile.gettempdir()) / "formcheck-live-bench"
    work.mkdir(exist_ok=True)
    report = measure(
        args.camera_fps,
        args.seconds,
        args.warmup_s,
        args.tabs,
        args.app_dir.resolve(),
        work,
        record=args.record,
    )
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
