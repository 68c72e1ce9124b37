"""Fixtures for the real-browser tests: the app as a subprocess, headless Chromium, a fake webcam.

Everything here is bounded: the server gets a fixed time to become healthy and is always killed,
and the browser is closed even when a test fails. Tests skip (with the reason) when the real clips,
Debian's Chromium, ffmpeg, Playwright or the pose model are missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIPS_DIR = REPO.parent / "shared" / "clips"
SQUAT_CLIP = CLIPS_DIR / "squat_barbell_back_side.mp4"  # labelled: 3 reps, side view, 8.5 s
CHROMIUM = Path("/usr/bin/chromium")
# Where the tests' page screenshots go: a throwaway folder, unless this names one. The README's
# pictures in docs/screenshots are made on purpose by `make screenshots`
# (python -m tests.browser.screenshots), so running the tests never changes a tracked file.
SCREENSHOT_DIR_VAR = "FORMCHECK_SCREENSHOT_DIR"

# The fake webcam: the squat clip letterboxed to 640x480 at 15 fps, with the first frame held for
# LEAD_S before and the last frame held for TAIL_S after. Chromium loops the file; the still tail
# keeps the second pass (and its reps) well outside the test's observation window.
FAKE_FPS = 15
LEAD_S = 2
TAIL_S = 30
SERVER_START_TIMEOUT_S = 120
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def _requirements_missing() -> str | None:
    if not SQUAT_CLIP.exists():
        return f"real clips not available: {SQUAT_CLIP} is absent"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed (needed to make the fake webcam file)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    from formcheck.pose.model_store import ModelInstallError, resolve_model

    try:
        resolve_model()
    except ModelInstallError as exc:
        return f"pose model not installed: {exc}"
    return None


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Skip the browser tests, saying why, when something they need is missing."""
    missing = _requirements_missing()
    if missing:
        pytest.skip(missing)


@pytest.fixture(scope="session")
def fake_camera_y4m(browser_requirements: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The squat clip as a raw .y4m file that Chromium plays as its webcam."""
    out = tmp_path_factory.mktemp("fake-camera") / "squat.y4m"
    video_filter = (
        "scale=-2:480,pad=640:480:(ow-iw)/2:(oh-ih)/2,"
        f"fps={FAKE_FPS},"
        f"tpad=start_mode=clone:start_duration={LEAD_S}:stop_mode=clone:stop_duration={TAIL_S}"
    )
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(SQUAT_CLIP),
            "-vf",
            video_filter,
            "-pix_fmt",
            "yuv420p",
            str(out),
        ],
        check=True,
        timeout=180,
    )
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's process group, then kill it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def running_server(
    command: Sequence[str], port: int, cwd: Path, env: Mapping[str, str] | None, log_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``command`` (a Streamlit server on ``port``), wait until it answers, yield its base
    URL and process, and always stop it afterwards. Its output goes to ``log_path``."""
    with log_path.open("wb") as log:
        # A new session (process group) so that stopping it reaches any child processes too.
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(
                    f"streamlit exited early:\n{log_path.read_text(errors='replace')[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {SERVER_START_TIMEOUT_S} s")
            time.sleep(0.5)
        yield url, process
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def app_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the :func:`app_url` server's output goes (read it to see what went wrong there)."""
    return tmp_path_factory.mktemp("streamlit") / "server.log"


@pytest.fixture(scope="session")
def app_url(
    browser_requirements: None, app_log: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``streamlit run app.py`` on a free port; yields its base URL and always stops it."""
    port = _free_port()
    log_path = app_log
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    # The server's uploads land in its temporary folder: a throwaway one, not the machine's.
    env = {**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("server-tmp"))}
    with running_server(command, port, REPO, env, log_path) as (url, _process):
        yield url


@contextlib.contextmanager
def launch_chromium(playwright: Any, camera: Path) -> Iterator[Any]:
    """Headless Debian Chromium with ``camera`` (a .y4m) as its webcam, closed afterwards."""
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={camera}"],
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """The one Playwright of the test run: its sync API refuses a second one while it runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Any, fake_camera_y4m: Path) -> Iterator[Any]:
    """Headless Debian Chromium with the fake webcam."""
    with launch_chromium(playwright, fake_camera_y4m) as chromium:
        yield chromium


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page with camera permission, closed after the test (which ends its stream)."""
    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    """Save a page screenshot in a throwaway folder, or in ``$FORMCHECK_SCREENSHOT_DIR`` (the
    README's pictures, made by ``python -m tests.browser.screenshots``)."""
    chosen = os.environ.get(SCREENSHOT_DIR_VAR)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")

    def take(page: Any, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        # Streamlit scrolls inside its main container, not the document, so a "full page" shot
        # would stop at the viewport: grow the viewport to the content for the picture instead.
        size = page.viewport_size
        height = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return m ? m.scrollHeight : document.body.scrollHeight; }"""
        )
        page.set_viewport_size({"width": size["width"], "height": min(max(height, 600), 4000)})
        try:
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.set_viewport_size(size)
        return path

    return take


@contextlib.contextmanager
def serve_app(
    log_dir: Path,
    tmp_dir: Path,
    cwd: Path = REPO,
    extra_args: Sequence[str] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``streamlit run`` with the project's own settings only (no address or statistics flags).

    Unlike :func:`app_url`, nothing on the command line overrides ``.streamlit/config.toml``, so
    the server behaves as ``make run`` does. The script is named by its full path, so ``cwd`` may
    be any folder. The server's temporary folder is ``tmp_dir`` and no ICE servers are configured.

    Yields:
        The base URL and the server process; the process is always stopped afterwards.
    """
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        *extra_args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "FORMCHECK_ICE"))}
    env["TMPDIR"] = str(tmp_dir)
    log_path = log_dir / f"server-{port}.log"
    with running_server(command, port, cwd, env, log_path) as (url, process):
        yield url, process
