"""The larger generated set (``tools.synth.catalog.generated_specs``, 32 clips, seeds 2000
up) rendered afresh and scored with the real pose model (slow: about 5 minutes on 2 cores).

Every exercise script clean in two or three views, and every fault kind at a magnitude clearly
past where its rule fires, in the views its check needs. The targets are those of
tests/test_evaluate.py. Targets the engine does not meet yet are strict xfails with the measured
numbers, so fixing one turns the test red until its mark goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.synth.catalog import generated_specs, render_specs
from tools.synth.evaluate import evaluate_dir

pytestmark = pytest.mark.slow

REP_EXERCISES = ("hip_hinge", "box_squat", "glute_bridge", "clamshell")
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


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("generated")
    render_specs(generated_specs(), out)
    return evaluate_dir(out, model_path)


def _clips(
    report: dict[str, Any], include_refused: bool = False, **match: Any
) -> list[dict[str, Any]]:
    """Clips matching ``match``; by default only those in a view their spec accepts (the
    accuracy targets apply there; a refused view is checked by its own test)."""
    return [
        c
        for c in report["per_clip"]
        if all(c[k] == v for k, v in match.items()) and (include_refused or c["view_accepted"])
    ]


def _assert_holds_within_half_a_second(clips: list[dict[str, Any]]) -> None:
    errors = {c["clip"]: c["hold_abs_err_s"] for c in clips}
    assert clips and all(errors.values())
    assert max(e for es in errors.values() for e in es) <= 0.5, errors


def test_the_whole_set_was_rendered_and_scored(report: dict[str, Any]) -> None:
    specs = generated_specs()
    assert len(report["per_clip"]) == len(specs)
    assert {c["fault"] for c in report["per_clip"]} - {None} == set(FAULT_RULES)
    # Every spec's exercise has a script in the set, clean, in at least two views.
    for exercise in (*REP_EXERCISES, *HOLD_EXERCISES):
        clean = _clips(report, include_refused=True, exercise=exercise, fault=None)
        assert len({c["view"] for c in clean}) >= 2


def test_a_view_the_spec_refuses_counts_nothing(report: dict[str, Any]) -> None:
    # scenario: a bridge, child's pose or lying figure-four filmed half-turned. Their specs accept
    # side-on only (measured: no reps, no hold or a hold 4.5 s off half-turned), so the person
    # is asked to turn rather than given a count or a time that is wrong.
    refused = [c for c in report["per_clip"] if not c["view_accepted"]]
    assert {c["exercise"] for c in refused} >= {
        "glute_bridge",
        "childs_pose",
        "supine_figure_four_stretch",
    }
    for c in refused:
        assert (c["reps_found"], c["holds_found"], c["reported_faults"]) == (0, 0, []), c["clip"]
        assert c["wrong_view_rate"] >= 0.4, (c["clip"], c["wrong_view_rate"])


@pytest.mark.parametrize(
    "exercise",
    [
        "hip_hinge",
        "box_squat",
        pytest.param(
            "glute_bridge",
            marks=_gap(
                "diagonal glute bridge (camera 45 deg toward the feet, 0.5 m up): pose found on "
                "92.8% of frames, none in the first 1.3 s lying flat with the legs straight "
                "toward the camera (the same clip from the head end: 100%)"
            ),
        ),
        "clamshell",
        *HOLD_EXERCISES,
    ],
)
def test_pose_found_on_95_percent_of_frames(report: dict[str, Any], exercise: str) -> None:
    # Every clip, refused views included: detection is about the figure and the model.
    clips = _clips(report, include_refused=True, exercise=exercise)
    assert clips
    for c in clips:
        assert c["detection_rate"] >= 0.95, (c["clip"], c["detection_rate"])


@pytest.mark.parametrize(
    "exercise",
    [
        "hip_hinge",
        "box_squat",
        "glute_bridge",
        pytest.param(
            "clamshell",
            marks=_gap(
                "clamshell rolled back 40 deg, left side down: 3/4 reps; on the missed rep the "
                "image thigh opening reads 17.5 deg at most (truth 24.3) against the 18 deg end "
                "band; right side down 4/4, clean 4/4 and 4/4"
            ),
        ),
    ],
)
def test_rep_count_exact(report: dict[str, Any], exercise: str) -> None:
    clips = _clips(report, exercise=exercise)
    assert clips
    for c in clips:
        assert c["reps_found"] == c["reps_true"], (c["clip"], c["reps_found"], c["reps_true"])


@pytest.mark.parametrize(
    "exercise",
    [
        "supine_figure_four_stretch",
        pytest.param(
            "hip_flexor_kneeling_stretch",
            marks=_gap(
                "half-kneeling: diagonal, no hold found (6.65/6.20 s off; the 3D thigh opening "
                "reads 34 deg low, RMSE 34.9; the real diagonal clip's three 1 s stays are "
                "found); side view 0.20/0.25 s"
            ),
        ),
        "childs_pose",
        pytest.param(
            "seated_figure_four_stretch",
            marks=_gap(
                "seated figure-four: front view 6.35/6.20 s off (3D trunk_incline_deg RMSE "
                "13.9: the lean is not seen from the front); diagonal 0.70/0.80 s (the 3D lean "
                "reads about 11 deg low, so the 30 deg band is crossed later going in and "
                "earlier coming out); side 0.10/0.10 s"
            ),
        ),
    ],
)
def test_hold_time_within_half_a_second_on_clean_clips(
    report: dict[str, Any], exercise: str
) -> None:
    _assert_holds_within_half_a_second(_clips(report, exercise=exercise, fault=None))


@pytest.mark.parametrize(
    "exercise",
    [
        pytest.param(
            "supine_figure_four_stretch",
            marks=_gap(
                "figure-four: 50 deg twist side-on 0.95/0.75 s off (a twist is not judged, the "
                "truth stops the clock for it); 20 cm pelvis lift 0.30/0.30 and 0.35/0.35 s"
            ),
        ),
        "hip_flexor_kneeling_stretch",
        "childs_pose",
        pytest.param(
            "seated_figure_four_stretch",
            marks=_gap(
                "seated figure-four, 8 deg bouncing: diagonal 0.70/1.25 s off (the 3D lean reads "
                "about 11 deg low: the band is crossed late and the bounces' troughs leave it); "
                "side view 0.50/0.15 s"
            ),
        ),
    ],
)
def test_hold_time_within_half_a_second_on_faulted_clips(
    report: dict[str, Any], exercise: str
) -> None:
    clips = [c for c in _clips(report, exercise=exercise) if c["fault"] is not None]
    _assert_holds_within_half_a_second(clips)


@pytest.mark.parametrize(
    "exercise",
    [
        "hip_hinge",
        "box_squat",
        "glute_bridge",
        "clamshell",
        *HOLD_EXERCISES,
    ],
)
def test_no_fault_on_clean_clips(report: dict[str, Any], exercise: str) -> None:
    clips = _clips(report, exercise=exercise, fault=None)
    assert clips
    for c in clips:
        assert not c["reported_faults"], (c["clip"], c["reported_faults"])


def test_the_back_is_judged_side_on(report: dict[str, Any]) -> None:
    # The hinge's neutral_spine reads the back's outline from the segmentation mask; side-on the
    # rendered figure's outline is traced throughout the movement, so the back is judged.
    clips = [c for c in _clips(report, exercise="hip_hinge") if c["view"] == "side"]
    assert clips
    for c in clips:
        share = c["rules_not_checked"].get("neutral_spine", 0.0)
        assert share < 0.1, (c["clip"], share)


@pytest.mark.parametrize(
    "fault",
    [
        "rounded_back",
        "too_fast",
        # 15 deg, past the 12 deg from which every faulty rep was found in a realistic sweep.
        # Each leg's points are taken by image side (the model swapped the feet's labels with
        # the knees together; at 25 deg knee_valgus_thigh read -0.07..+0.06 at the bottom).
        "knee_valgus",
        pytest.param(
            "hips_roll_back",
            marks=_gap(
                "hips_stacked at 40 deg roll back (true pelvis_roll_deg 44.8, limit 35 or +12 "
                "from the start): found 5/6, no false report; the missed rep is the one not "
                "counted (left side down)"
            ),
        ),
        # 4/4 since the visibility gate has hysteresis: the crossed far knee read 0.28-0.29
        # through the first lift of seed 2025, under the 0.3 floor, which ended the hold there.
        "pelvis_lift",
        pytest.param(
            "pelvis_twist",
            marks=_gap(
                "pelvis_down does not judge a twist: no landmark signal followed a 20-50 deg "
                "rendered twist on every hold, side-on or half-turned "
                "(supine_figure_four_stretch.yaml); 50 deg side-on: 0/2"
            ),
        ),
        "bouncing",
    ],
)
def test_injected_faults_found(report: dict[str, Any], fault: str) -> None:
    rule = FAULT_RULES[fault]
    clips = _clips(report, fault=fault)
    assert clips
    found = sum(c["fault_found"][rule] for c in clips)
    injected = sum(c["fault_injected"][rule] for c in clips)
    reported = sum(len([f for f in c["reported_faults"] if f["rule"] == rule]) for c in clips)
    false = sum(c["fault_false_positives"][rule] for c in clips)
    assert injected and found / injected >= 0.95, (rule, found, injected)
    assert reported and (reported - false) / reported >= 0.95, (rule, reported, false)


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
