"""Reading and driving a Streamlit page in Playwright: metrics, select boxes, component iframes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_METRICS_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stMetric"]')).map(m => [
  (m.querySelector('[data-testid="stMetricLabel"]') || {innerText: ''}).innerText.trim(),
  (m.querySelector('[data-testid="stMetricValue"]') || {innerText: ''}).innerText.trim(),
])
"""


def wait_until(
    probe: Callable[[], T | None],
    timeout_s: float,
    what: str,
    interval_s: float = 0.25,
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def metric(page: Any, label: str) -> str | None:
    """The value shown by the ``st.metric`` whose label is exactly ``label`` (first match)."""
    for name, value in page.evaluate(_METRICS_JS):
        if name == label:
            return str(value)
    return None


def metric_int(page: Any, label: str) -> int | None:
    """:func:`metric` as an integer, ``None`` while absent or not a number."""
    value = metric(page, label)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def choose(page: Any, select_label: str, option: str) -> None:
    """Pick ``option`` in the ``st.selectbox`` labelled ``select_label``."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=select_label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def button_in_frames(page: Any, name: str, timeout_s: float) -> Any:
    """A button named ``name`` inside any frame (component iframes included), once it exists.

    The whole name is matched, ignoring case: streamlit-webrtc's "Start" is upper-cased only by
    CSS, and a part of a name would also find the page's own "Start a new session".
    """
    whole_name = re.compile(f"^{re.escape(name)}$", re.IGNORECASE)

    def find() -> Any:
        for frame in page.frames:
            button = frame.get_by_role("button", name=whole_name)
            if button.count():
                return button.first
        return None

    return wait_until(find, timeout_s, f"a {name!r} button in the page or its iframes")


def camera_stop(page: Any, timeout_s: float = 30) -> Any:
    """The camera component's STOP button, inside its iframe (its name is exactly "stop",
    unlike the page's "Stop - this hurts")."""

    def find() -> Any:
        for frame in page.frames:
            if "streamlit_webrtc" in frame.url:
                button = frame.get_by_role("button", name=re.compile(r"^stop$", re.IGNORECASE))
                if button.count():
                    return button.first
        return None

    return wait_until(find, timeout_s, "the camera's STOP button")


_LIVE_VIDEO_JS = """() => Array.from(document.querySelectorAll('video')).some(
    v => v.srcObject && v.srcObject.getTracks().some(t => t.readyState === 'live'))"""


def camera_streaming(page: Any) -> bool:
    """Whether the camera component shows a live stream (a video with a live track in it)."""
    from playwright.sync_api import Error

    for frame in page.frames:
        if "streamlit_webrtc" not in frame.url:
            continue
        try:
            if frame.evaluate(_LIVE_VIDEO_JS):
                return True
        except Error:  # the component's frame being replaced as the page redraws
            continue
    return False
