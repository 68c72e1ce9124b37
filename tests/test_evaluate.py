"""The rendered-clip scoring (``python -m tools.synth evaluate``) on the committed sample clips,
with the real pose model (slow the first time; the landmarks are cached by the clips' and the
model's hashes, so later runs on this machine replay them).

The expected values are the truth the renderer wrote beside each clip; the thresholds are the
targets of the rendered-truth issue. Targets the engine does not meet yet are marked ``xfail``
with the measured numbers (strict, so fixing them turns the test red until the mark goes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import LANDMARKS_CACHE
from tools.synth.clip import TRUTH_SUFFIX
from tools.synth.evaluate import evaluate_dir

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(model_path: Path) -> dict[str, Any]:
    if not any(SAMPLES.glob(f"*{TRUTH_SUFFIX}")):
        pytest.skip("sample_videos/ has no rendered clips")
    return evaluate_dir(SAMPLES, model_path, LANDMARKS_CACHE, jobs=os.cpu_count() or 1)


def _clips(report: dict[str, Any], **match: Any) -> list[dict[str, Any]]:
    return [c for c in report["per_clip"] if all(c[k] == v for k, v in match.items())]


def test_pose_found_on_95_percent_of_frames_of_every_clip(report: dict[str, Any]) -> None:
    for c in report["per_clip"]:
        assert c["detection_rate"] >= 0.95, c["clip"]


@pytest.mark.parametrize("exercise", ["hip_hinge", "glute_bridge", "clamshell", "box_squat"])
def test_rep_count_exact(report: dict[str, Any], exercise: str) -> None:
    # The too-fast clip is judged on its own below.
    for c in _clips(report, exercise=exercise):
        if c["fault"] != "too_fast":
            assert c["reps_found"] == c["reps_true"], c["clip"]


def test_too_fast_reps_counted_and_flagged(report: dict[str, Any]) -> None:
    clips = _clips(report, fault="too_fast")
    assert clips
    for c in clips:
        assert c["reps_found"] == c["reps_true"], c["clip"]
        assert c["fault_found"]["too_fast"] == c["fault_injected"]["too_fast"], c["clip"]


def _hold_clips() -> list[str]:
    """The rendered clips with a scripted hold, by name (read at collection from their truth)."""
    names = []
    for truth in sorted(SAMPLES.glob(f"*{TRUTH_SUFFIX}")):
        if json.loads(truth.read_text()).get("holds"):
            names.append(truth.name.removesuffix(TRUTH_SUFFIX))
    return names


# Hold clips whose time misses the 0.5 s target, each with what the engine does there.
HOLD_MISSES = {
    "figure_four_side_pelvis_twist_35": "holds 0.60/1.00 s long: a twist cannot be seen from "
    "the side (the spec does not judge it there) while the truth stops the clock for it",
    "seated_figure_four_diagonal_bouncing_8": "2.15/1.20 s short: half-turned, the lifted "
    "ankle of the leg crossed on the far side reads 0.3-0.5 torso lengths (under the posture's "
    "0.6) for moments as it settles, and each bounce is confirmed and ends about 1 s late",
    "seated_figure_four_diagonal_clean": "2.10/0.10 s short: half-turned, the lifted ankle of "
    "the leg crossed on the far side reads 0.3-0.5 torso lengths at 4.75-5.5 s (under the "
    "posture's 0.6), a break long enough to drop the stay begun at 4.25 s; timed from 5.75 s",
}


@pytest.mark.parametrize(
    "clip",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason=f"{HOLD_MISSES[name]}; docs/SYNTH.md"),
        )
        if name in HOLD_MISSES
        else name
        for name in _hold_clips()
    ],
)
def test_hold_time_within_half_a_second(report: dict[str, Any], clip: str) -> None:
    (score,) = [c for c in report["per_clip"] if c["clip"].startswith(f"{clip}.")]
    errors = score["hold_abs_err_s"]
    assert errors and max(errors) <= 0.5, errors


def test_no_fault_on_clean_clips(report: dict[str, Any]) -> None:
    # Front-view squats are left out: their 3D knee angle reads ~27-30 deg low, so ``depth`` can
    # fire (an engine gap, see docs/SYNTH.md). Calm scripted reps (2.7-4 s) must not be
    # ``too_fast``.
    for c in report["per_clip"]:
        if (c["fault"] is None and c["view"] != "front") or (
            c["exercise"] == "clamshell" and c["fault"] is None
        ):
            spurious = {r: n for r, n in c["fault_false_positives"].items() if n}
            assert not spurious, c["clip"]


FOUND_RULES = ["knee_wobble", "neutral_spine", "hips_stacked", "too_fast", "no_bouncing"]


@pytest.mark.parametrize("rule", FOUND_RULES)
def test_injected_faults_found(report: dict[str, Any], rule: str) -> None:
    assert report["total"]["fault_recall"][rule] >= 0.95


@pytest.mark.parametrize("rule", FOUND_RULES)
def test_faults_reported_precisely(report: dict[str, Any], rule: str) -> None:
    assert report["total"]["fault_precision"][rule] >= 0.95


@pytest.mark.parametrize(
    "clip",
    [
        # scenario: the hips rise 15 cm off the floor in the lying figure-four
        "figure_four_side_pelvis_lift_15cm",
        # scenario: the pelvis twists 35 deg instead
        pytest.param(
            "figure_four_side_pelvis_twist_35",
            marks=pytest.mark.xfail(
                strict=True,
                reason="neither 3D nor 2D hip landmarks follow a rendered twist seen from the "
                "side, so the spec does not judge twist there; see docs/SYNTH.md",
            ),
        ),
    ],
)
def test_pelvis_down_found_in_every_injected_interval(report: dict[str, Any], clip: str) -> None:
    (score,) = [c for c in report["per_clip"] if c["clip"].startswith(f"{clip}.")]
    injected = score["fault_injected"].get("pelvis_down", 0)
    assert injected and score["fault_found"].get("pelvis_down", 0) == injected


def test_side_view_sagittal_angles_within_5_degrees(report: dict[str, Any]) -> None:
    rmse = report["total"]["side_view_sagittal_rmse_deg"]
    assert rmse
    for name in ("knee_flexion_deg", "hip_flexion_deg", "spine_flexion_deg"):
        if name in rmse:
            assert rmse[name] <= 5.0, (name, rmse[name])
