"""The live path end to end: fake webcam -> Chromium -> WebRTC -> pose model -> engine -> page."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LEAD_S, TAIL_S
from tests.browser.dom import button_in_frames, camera_streaming, choose, metric_int, wait_until

CLIP_S = 8.5  # length of the squat clip
LABELLED_REPS = 3
REPS_TIMEOUT_S = 120
SPOKEN_TIMEOUT_S = 15
# Chromium starts the file again after LEAD_S + CLIP_S + TAIL_S; stop watching this long before,
# so a late-connecting stream cannot let the second pass in.
LOOP_MARGIN_S = 6
# How long the count must stay put once reached (the still tail plays meanwhile).
HOLD_STILL_S = 12
# Replaces speechSynthesis.speak in every frame with a recorder, so the test can see what the
# page asked the browser to say (headless Chromium has no voices to speak with).
SPEECH_SPY = """
(() => {
  const top = window.top;
  top.__spoken = top.__spoken || [];
  if (window.speechSynthesis) {
    window.speechSynthesis.speak = (utterance) => top.__spoken.push(utterance.text);
  }
})();
"""


@pytest.mark.browser
def test_live_squat_counts_three_reps(
    page: Any,
    app_url: str,
    screenshot: Callable[[Any, str], Path],
    record_property: Callable[[str, object], None],
) -> None:
    page.add_init_script(SPEECH_SPY)
    page.goto(f"{app_url}/")
    page.get_by_text("Where to put the laptop").wait_for()
    choose(page, "Exercise", "Box squat")
    page.get_by_text("Set-up: Box squat").wait_for()

    opened = time.monotonic()
    button_in_frames(page, "START", timeout_s=90).click()
    started = time.monotonic()
    print(f"START found after {started - opened:.1f} s")
    # The camera file starts playing on START; its second pass would begin here.
    loop_at = started + LEAD_S + CLIP_S + TAIL_S

    def reps_reached() -> int | None:
        count = metric_int(page, "Reps")
        return count if count is not None and count >= LABELLED_REPS else None

    reached = wait_until(reps_reached, REPS_TIMEOUT_S, f"the Reps metric to reach {LABELLED_REPS}")
    reached_after_s = time.monotonic() - started
    record_property("reps_reached_after_s", round(reached_after_s, 1))
    print(f"Reps reached {reached} after {reached_after_s:.1f} s from START")
    assert reached == LABELLED_REPS, f"counted {reached} reps, the clip has {LABELLED_REPS}"
    # Not asserted: the clip's back is labelled neutral, yet through this fake camera (a portrait
    # clip letterboxed small, a fresh WebRTC stream) one rep of three is often flagged
    # `neutral_spine` (the bar's black plates merge with the black top; docs/ARCHITECTURE.md).
    record_property("faulty_reps", metric_int(page, "Faulty reps"))
    screenshot(page, "practice.png")
    # The cue is spoken by a component of its own, whose document can load a moment after the
    # rep count is shown (seen with the machine's cores busy), so it is waited for.
    spoken = wait_until(
        lambda: page.evaluate("() => window.__spoken || []") or None,
        SPOKEN_TIMEOUT_S,
        "the page to say something (spoken cues are on by default)",
    )
    record_property("spoken_cues", spoken)
    print(f"Spoken cues: {spoken}")

    # The still tail is playing: nothing may be added before the clip could loop.
    watch_until = min(time.monotonic() + HOLD_STILL_S, loop_at - LOOP_MARGIN_S)
    highest = reached
    while time.monotonic() < watch_until:
        highest = max(highest, metric_int(page, "Reps") or 0)
        time.sleep(0.5)
    assert highest == LABELLED_REPS, f"the count went on to {highest} while the person stood still"

    # "Stop - this hurts" ends the session at once, says so, and turns the camera off.
    assert camera_streaming(page), "the camera should be streaming before the stop"
    pressed = time.monotonic()
    page.get_by_role("button", name="Stop - this hurts").click()
    page.get_by_text("You stopped because it hurt").wait_for(timeout=30_000)
    wait_until(lambda: not camera_streaming(page), 30, "the camera to turn off")
    print(f"Stopped for pain, camera off after {time.monotonic() - pressed:.1f} s")
    assert metric_int(page, "Reps") == LABELLED_REPS
