"""Private by default: loopback only, no request to another host, private uploads cleaned up.

The server runs with the project's own ``.streamlit/config.toml`` and nothing on its command line
that would override it (``serve_app``), the way ``make run`` starts it. This machine has no
internet, so a request to another host fails quietly: the tests record every attempt the pages
make (all requests and websockets of the browser context, and the ICE servers every WebRTC
connection is given) rather than wait for one to succeed.
"""

from __future__ import annotations

import ipaddress
import socket
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from formcheck.ui.review import MAX_UPLOAD_MB
from formcheck.ui.uploads import FOLDER_PREFIX
from tests.browser.conftest import REPO, serve_app
from tests.browser.dom import button_in_frames, choose, wait_until

CONFIG = REPO / ".streamlit" / "config.toml"
SAMPLE_CLIP = REPO / "sample_videos" / "box_squat_side_clean.mp4"  # rendered, 15.2 s, 3 reps
# A file name that, rendered as Markdown, makes the browser fetch https://example.org/.
IMAGE_LINK_NAME = "![x](https:example.org).mp4"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Addresses inside the page itself.
LOCAL_SCHEMES = {"data", "blob", "about"}
ANALYSIS_TIMEOUT_MS = 300_000
SESSION_END_TIMEOUT_S = 30
STREAM_TIMEOUT_S = 90

# Wraps RTCPeerConnection in every frame (the camera component runs in an iframe) to record the
# ICE servers each connection is given: a STUN or TURN host is contacted over UDP, which no
# request event would show.
ICE_SPY = """
(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) { return; }
  window.__iceServers = [];
  const Spy = function (config, ...rest) {
    window.__iceServers.push(JSON.stringify((config && config.iceServers) || []));
    return new Original(config, ...rest);
  };
  Spy.prototype = Original.prototype;
  Object.setPrototypeOf(Spy, Original);
  window.RTCPeerConnection = Spy;
})();
"""


@dataclass
class Traffic:
    """Everything the browser context asked for, with the step of the test it happened in."""

    step: str = "start"
    requests: list[tuple[str, str]] = field(default_factory=list)  # (step, url)
    websockets: list[tuple[str, str]] = field(default_factory=list)

    def record_request(self, request: Any) -> None:
        self.requests.append((self.step, request.url))

    def record_websocket(self, websocket: Any) -> None:
        self.websockets.append((self.step, websocket.url))

    def outside(self) -> list[str]:
        found = [f"{url} ({step})" for step, url in self.requests if not _local(url)]
        found += [f"websocket {url} ({step})" for step, url in self.websockets if not _local(url)]
        return sorted(set(found))


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


def _listening_addresses(port: int) -> set[str]:
    """Addresses with a listening TCP socket on ``port``, read from ``/proc/net``."""
    found: set[str] = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address_hex)
            # The kernel prints each 32-bit word of the address in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, words))
    return found


def _stream_playing(page: Any) -> bool:
    """Whether the video returned by the server has been playing for a second in some frame."""
    from playwright.sync_api import Error

    script = "() => Array.from(document.querySelectorAll('video')).some(v => v.currentTime > 1)"
    for frame in page.frames:
        try:
            if frame.evaluate(script):
                return True
        except Error:  # a frame being replaced while the component starts
            continue
    return False


def _upload_folders(tmp_dir: Path) -> list[Path]:
    return sorted(p for p in tmp_dir.iterdir() if p.name.startswith(FOLDER_PREFIX))


def _upload(page: Any, name: str) -> None:
    """Upload the sample clip under ``name`` and wait for the page to describe it."""
    # The repository's sample videos are offered first; switch to uploading.
    page.get_by_text("Upload a clip", exact=True).first.click()
    payload = {"name": name, "mimeType": "video/mp4", "buffer": SAMPLE_CLIP.read_bytes()}
    page.locator('input[type="file"]').set_input_files([payload])
    page.get_by_text(": 15.2 s, 480x360", exact=False).wait_for(timeout=60_000)


@dataclass
class Server:
    url: str
    tmp_dir: Path


@pytest.fixture(scope="module")
def private_app(
    browser_requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The app as ``make run`` starts it, with its temporary folder where the test can see it."""
    tmp_dir = tmp_path_factory.mktemp("private-app-tmp")
    logs = tmp_path_factory.mktemp("private-app-log")
    with serve_app(logs, tmp_dir) as (url, _process):
        yield Server(url, tmp_dir)


def test_settings_are_private() -> None:
    settings = tomllib.loads(CONFIG.read_text())
    assert settings["server"]["address"] == "127.0.0.1"
    assert settings["browser"]["gatherUsageStats"] is False
    # The server refuses larger uploads at its door; the page checks the same figure.
    assert settings["server"]["maxUploadSize"] == MAX_UPLOAD_MB


@pytest.mark.browser
@pytest.mark.parametrize(
    "start_in",
    [
        # `make run`: from the project root
        "project",
        # `streamlit run /full/path/app.py` from some other folder
        "elsewhere",
    ],
)
def test_listens_on_loopback_only(tmp_path: Path, start_in: str) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    cwd = REPO if start_in == "project" else tmp_path
    with serve_app(tmp_path, tmp_path, cwd=cwd) as (url, _process):
        port = urlsplit(url).port
        assert port is not None
        addresses = _listening_addresses(port)
    assert addresses, f"nothing seen listening on port {port}"
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses


@pytest.mark.browser
def test_no_page_contacts_another_host(browser: Any, private_app: Server) -> None:
    traffic = Traffic()
    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    context.add_init_script(ICE_SPY)
    context.on("request", traffic.record_request)
    try:
        page = context.new_page()
        page.on("websocket", traffic.record_websocket)

        # Practice: run the camera until the annotated stream comes back, then stop it.
        traffic.step = "practice"
        page.goto(f"{private_app.url}/")  # Practice is the default page
        page.get_by_text("Where to put the laptop").wait_for()
        choose(page, "Exercise", "Box squat")
        button_in_frames(page, "START", timeout_s=STREAM_TIMEOUT_S).click()
        wait_until(lambda: _stream_playing(page), STREAM_TIMEOUT_S, "the annotated stream to play")
        ice_configs = [c for f in page.frames for c in f.evaluate("window.__iceServers || []")]
        button_in_frames(page, "STOP", timeout_s=30).click()

        # Review: analyse a sample clip (plot, annotated video, tables), then upload one.
        traffic.step = "review"
        page.goto(f"{private_app.url}/review")
        page.get_by_text("Review a recording").first.wait_for()
        choose(page, "Exercise", "Box squat")
        choose(page, "Sample video", SAMPLE_CLIP.name)
        page.get_by_role("button", name="Analyse").click()
        page.get_by_test_id("stTable").filter(has_text="Peak knee flexion").wait_for(
            timeout=ANALYSIS_TIMEOUT_MS
        )
        page.locator(".js-plotly-plot").first.wait_for()
        page.get_by_test_id("stVideo").wait_for()
        _upload(page, IMAGE_LINK_NAME)
        # The caption names the file exactly as written, punctuation and all.
        name_shown = page.get_by_text(f"{IMAGE_LINK_NAME}: 15.2 s", exact=False).count()
        folders = _upload_folders(private_app.tmp_dir)
        assert len(folders) == 1, folders
        assert stat.S_IMODE(folders[0].stat().st_mode) == 0o700
        clips = list(folders[0].iterdir())
        assert len(clips) == 1 and stat.S_IMODE(clips[0].stat().st_mode) == 0o600
        assert clips[0].read_bytes() == SAMPLE_CLIP.read_bytes()

        # Library: leaving the Review page ends its session, and its upload folder goes.
        traffic.step = "library"
        page.goto(f"{private_app.url}/library")
        page.get_by_text("Exercise library").first.wait_for()
        page.get_by_text("Box squat").first.wait_for()
        wait_until(
            lambda: not folders[0].exists(),
            SESSION_END_TIMEOUT_S,
            "the upload folder to go when its session ended",
        )
    finally:
        context.close()

    hosts = sorted({urlsplit(url).netloc or urlsplit(url).scheme for _, url in traffic.requests})
    sockets = sorted({url for _, url in traffic.websockets})
    print(f"{len(traffic.requests)} requests to {hosts}; websockets {sockets}")
    assert traffic.outside() == [], "requests to other hosts:\n" + "\n".join(traffic.outside())
    assert ice_configs, "the camera stream made no WebRTC connection"
    assert set(ice_configs) == {"[]"}, f"ICE servers given to the browser: {ice_configs}"
    assert name_shown, f"the uploaded file's name is not shown as written: {IMAGE_LINK_NAME}"


@pytest.mark.browser
def test_each_session_has_its_own_folder_and_all_go_when_the_app_stops(
    browser: Any, tmp_path: Path
) -> None:
    contexts = []
    with serve_app(tmp_path, tmp_path) as (url, process):
        try:
            for _ in range(2):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(60_000)
                contexts.append(context)
                page = context.new_page()
                page.goto(f"{url}/review")
                page.get_by_text("Review a recording").first.wait_for()
                _upload(page, "squat.mp4")
            folders = _upload_folders(tmp_path)
            assert len(folders) == 2, f"two sessions, two folders: {folders}"
            assert all(stat.S_IMODE(f.stat().st_mode) == 0o700 for f in folders)
            # Stopped the way Ctrl-C or a service manager stops it, with both sessions open.
            process.terminate()
            process.wait(timeout=30)
        finally:
            for context in contexts:
                context.close()
    assert _upload_folders(tmp_path) == []
