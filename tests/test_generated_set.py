"""The larger generated set (``tools.synth.catalog.generated_specs``, 34 clips, seeds 2000
up) rendered afresh and scored with the real pose model (slow: about 5 minutes on 2 cores).

Every exercise script clean in two or three views, and every fault kind at a magnitude clearly
past where its rule fires, in the views its check needs. The targets are those of
tests/test_evaluate.py. Targets the engine does not meet yet are strict xfails with the measured
numbers, so fixing one turns the test red until its mark goes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from formcheck.specs.loader import load_spec
from tests.support.paths import LANDMARKS_CACHE
from tools.synth.catalog import generated_specs, render_specs
from tools.synth.evaluate import evaluate_dir

pytestmark = pytest.mark.slow

REP_EXERCISES = (
    "hip_hinge",
    "box_squat",
    "glute_bridge",
    "clamshell",
    "side_lying_leg_abduction",
)
HOLD_EXERCISES = (
    "supine_figure_four_stretch",
    "hip_flexor_kneeling_stretch",
    "childs_pose",
    "seated_figure_four_stretch",
)
# fault kind -> the rule that should report it
FAULT_RULES = {
    "rounded_back": "neutral_spine",
    "too_fast": "too_fast",
    "knee_valgus": "knee_wobble",
    "hips_roll_back": "hips_stacked",
    "pelvis_lift": "pelvis_down",
    "pelvis_twist": "pelvis_down",
    "bouncing": "no_bouncing",
}


def _gap(reason: str) -> Any:
    """A target the engine misses on this set: strict xfail with the measured numbers."""
    return pytest.mark.xfail(strict=True, reason=reason)


CLIPS = {clip.name: clip for clip in generated_specs()}


def _accepted(name: str) -> bool:
    """Is the clip filmed in a view its spec accepts (where the accuracy targets apply)?"""
    clip = CLIPS[name]
    return clip.view in load_spec(clip.exercise).camera.views


# (check, clip) -> what the engine does there. Each is a strict xfail on that clip alone, so a
# regression on any other clip of the same exercise still fails.
MISSES = {
    ("detection", "gen_2005_glute_bridge_diagonal_clean"): "pose found on 92.8% of frames, "
    "none in the first 1.3 s lying flat with the legs straight toward the camera (the same "
    "clip from the head end: 100%)",
    ("reps", "gen_2023_clamshell_front_hips_roll_back_40"): "rolled back 40 deg, left side "
    "down: 3/4 reps; on the missed rep (7-8 s) the knees' 3D gap rises 0.14 thigh lengths from "
    "where they rested, against the 0.2 an opening needs",
    ("hold", "gen_2011_hip_flexor_kneeling_stretch_diagonal_clean"): "no hold found (6.65/6.20 "
    "s off): the 3D thigh opening reads 34 deg low half-turned, RMSE 34.9",
    ("hold", "gen_2014_seated_figure_four_stretch_side_clean"): "1.25/4.30 s short: the leg "
    "crossed on the far side hides its ankle behind the near knee (it reads 0.0-0.1 torso "
    "lengths lifted, true 0.7), so that side is timed only while leaning past 30 deg; the near "
    "side's uncrossing reads 1 s early",
    ("hold", "gen_2030_seated_figure_four_stretch_side_bouncing_8"): "1.70/4.60 s short: the "
    "far side's crossed ankle is hidden as on the clean clip, and each bounce is confirmed and "
    "ends about 1 s after the script's",
    ("hold", "gen_2025_supine_figure_four_stretch_side_pelvis_lift_20"): "0.55/0.05 s: the "
    "model's hip flexion goes on rising 0.5 s after the true one has stopped (108 deg read, 100 "
    "true), so the stillness the clock waits for comes 0.55 s later",
    ("hold", "gen_2026_supine_figure_four_stretch_side_pelvis_lift_20"): "0.75/0.05 s: as "
    "gen_2025, the read hip flexion settles later than the true one",
    ("hold", "gen_2029_childs_pose_side_bouncing_8"): "0.75 s long: the bouncing is confirmed "
    "at its third reversal, about a second after the script's bouncing starts",
    ("hold", "gen_2027_supine_figure_four_stretch_side_pelvis_twist_50"): "0.95/0.75 s off: a "
    "twist is not judged, while the truth stops the clock for it",
    ("hold", "gen_2031_seated_figure_four_stretch_diagonal_bouncing_8"): "0.70/1.25 s off: the "
    "3D lean reads about 11 deg low, so the band is crossed late and the bounces' troughs leave it",
    ("fault", "gen_2023_clamshell_front_hips_roll_back_40"): "hips_stacked found on the reps "
    "counted; the rep not counted (left side down) is missed",
    ("clean", "gen_2033_side_lying_leg_abduction_diagonal_clean"): "leg_straight on 2 of 4 "
    "lifts (3.1-3.75 s, 9.95-10.95 s): from in front and toward the feet the model reads the "
    "rendered straight top leg (true knee 6 deg at most) bent 29-37 deg (median-p90 during the "
    "lifts), past the rule's 30; from in front it reads 15-16",
    ("fault", "gen_2027_supine_figure_four_stretch_side_pelvis_twist_50"): "pelvis_down does "
    "not judge a twist: no landmark signal followed a 20-50 deg rendered twist on every hold "
    "(supine_figure_four_stretch.yaml)",
}


def _per_clip(check: str, names: list[str]) -> list[Any]:
    return [
        pytest.param(name, marks=_gap(MISSES[(check, name)])) if (check, name) in MISSES else name
        for name in names
    ]


def _score(report: dict[str, Any], name: str) -> dict[str, Any]:
    (score,) = [c for c in report["per_clip"] if c["clip"].startswith(f"{name}.")]
    return score


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("generated")
    render_specs(generated_specs(), out)
    return evaluate_dir(out, model_path, LANDMARKS_CACHE, jobs=os.cpu_count() or 1)


def test_the_whole_set_was_rendered_and_scored(report: dict[str, Any]) -> None:
    assert len(report["per_clip"]) == len(CLIPS)
    assert {c["fault"] for c in report["per_clip"]} - {None} == set(FAULT_RULES)
    # Every spec's exercise has a script in the set, clean, in at least two views.
    for exercise in (*REP_EXERCISES, *HOLD_EXERCISES):
        views = {c.view for c in CLIPS.values() if c.exercise == exercise and c.fault is None}
        assert len(views) >= 2, exercise


UNLISTED_VIEW_CLIPS = [n for n, c in CLIPS.items() if not _accepted(n)]


def test_the_set_has_views_the_specs_do_not_list() -> None:
    # scenario: a bridge, child's pose or lying figure-four filmed half-turned (their specs name
    # side-on), as a patient may set the laptop wherever it fits.
    assert {CLIPS[n].exercise for n in UNLISTED_VIEW_CLIPS} >= {
        "glute_bridge",
        "childs_pose",
        "supine_figure_four_stretch",
    }


@pytest.mark.parametrize("clip", _per_clip("unlisted_view", UNLISTED_VIEW_CLIPS))
def test_a_view_the_spec_does_not_list_is_still_counted_and_timed(
    report: dict[str, Any], clip: str
) -> None:
    score = _score(report, clip)
    assert score["reps_found"] == score["reps_true"]
    assert score["holds_found"] == len(score["hold_abs_err_s"])


# Every clip, unlisted views included: detection is about the figure and the model.
@pytest.mark.parametrize("clip", _per_clip("detection", list(CLIPS)))
def test_pose_found_on_95_percent_of_frames(report: dict[str, Any], clip: str) -> None:
    assert _score(report, clip)["detection_rate"] >= 0.95


REP_CLIPS = [n for n, c in CLIPS.items() if c.exercise in REP_EXERCISES and _accepted(n)]
HOLD_CLIPS = [n for n, c in CLIPS.items() if c.exercise in HOLD_EXERCISES and _accepted(n)]


@pytest.mark.parametrize("clip", _per_clip("reps", REP_CLIPS))
def test_rep_count_exact(report: dict[str, Any], clip: str) -> None:
    score = _score(report, clip)
    assert score["reps_found"] == score["reps_true"], (score["reps_found"], score["reps_true"])


@pytest.mark.parametrize("clip", _per_clip("hold", HOLD_CLIPS))
def test_hold_time_within_half_a_second(report: dict[str, Any], clip: str) -> None:
    errors = _score(report, clip)["hold_abs_err_s"]
    assert errors and max(errors) <= 0.5, errors


@pytest.mark.parametrize(
    "clip", _per_clip("clean", [n for n, c in CLIPS.items() if c.fault is None and _accepted(n)])
)
def test_no_fault_on_clean_clips(report: dict[str, Any], clip: str) -> None:
    assert not _score(report, clip)["reported_faults"]


def test_the_back_is_judged_side_on(report: dict[str, Any]) -> None:
    # The hinge's neutral_spine reads the back's outline from the segmentation mask; side-on the
    # rendered figure's outline is traced throughout the movement, so the back is judged.
    clips = [n for n, c in CLIPS.items() if c.exercise == "hip_hinge" and c.view == "side"]
    assert clips
    for name in clips:
        share = _score(report, name)["rules_not_checked"].get("neutral_spine", 0.0)
        assert share < 0.1, (name, share)


# Knee valgus at 15 deg, past the 12 deg from which every faulty rep was found in a realistic
# sweep; each leg's points are taken by image side (the model swapped the feet's labels with the
# knees together). Pelvis lift: 4/4 with the visibility gate's hysteresis (the crossed far knee
# read 0.28-0.29 through a lift, under the 0.3 floor).
@pytest.mark.parametrize(
    "clip",
    _per_clip("fault", [n for n, c in CLIPS.items() if c.fault is not None and _accepted(n)]),
)
def test_injected_faults_found(report: dict[str, Any], clip: str) -> None:
    score = _score(report, clip)
    rule = FAULT_RULES[CLIPS[clip].fault or ""]
    found, injected = score["fault_found"][rule], score["fault_injected"][rule]
    reported = len([f for f in score["reported_faults"] if f["rule"] == rule])
    false = score["fault_false_positives"][rule]
    assert injected and found == injected, (rule, found, injected)
    assert reported and false == 0, (rule, reported, false)


@pytest.mark.parametrize(
    "signal",
    [
        pytest.param(
            "knee_flexion_deg",
            marks=_gap(
                "side-view knee_flexion_deg RMSE 8.2 deg over the set: 14.2-14.4 on the hinges "
                "rounded 100 deg (the hanging head and hands by the knees: the model reads "
                "50-66 deg where the truth is 23); 3.5-4.0 on the others"
            ),
        ),
        "hip_flexion_deg",
        pytest.param(
            "min_hip_flexion_deg",
            marks=_gap("side-view min_hip_flexion_deg (supine figure-four) RMSE 5.9 deg"),
        ),
        pytest.param(
            "max_hip_flexion_deg",
            marks=_gap(
                "side-view max_hip_flexion_deg (seated figure-four) RMSE 10.3 deg: reads 136 "
                "in the lean where the truth is 147 (the crossed knee is the far one or "
                "foreshortened)"
            ),
        ),
        "trunk_incline_deg",
    ],
)
def test_side_view_sagittal_angles_within_5_degrees(report: dict[str, Any], signal: str) -> None:
    rmse = report["total"]["side_view_sagittal_rmse_deg"]
    assert signal in rmse
    assert rmse[signal] <= 5.0, (signal, rmse[signal])
