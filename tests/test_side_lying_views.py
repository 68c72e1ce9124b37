"""Side-lying exercises filmed with the laptop on the floor wherever it fits: in front of the
person, at a slant toward the feet or the head, at the feet end, or at the head end with the legs
pointing away from the camera (the placements of ``tools/synth``).

Two tiers. The figure's true landmarks through each placement's camera (no pose model, fast):
the spec's own measure must count and time every rep the same from everywhere. The rendered
clips through the real pose model (slow): what a patient's camera gives; where the model loses
the legs, a strict xfail on that clip with the measured numbers.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest

from formcheck.analyze import replay_series
from formcheck.engine.session import SessionResult
from formcheck.feedback import CuePicker
from formcheck.landmarks import INDEX
from formcheck.specs.loader import load_spec
from tests.support.paths import LANDMARKS_CACHE
from tools.synth.catalog import SIDE_LYING_VIEWS, render_specs
from tools.synth.clip import HEAD_DIAGONAL, HEAD_END, ClipSpec, true_series
from tools.synth.evaluate import evaluate_dir

EXERCISES = ("side_lying_leg_abduction", "clamshell")
# In front, from in front toward the feet, at the feet end, from in front toward the head, and
# at the head end looking along the body.
PLACEMENTS = ("front", "diagonal", "side", HEAD_DIAGONAL, HEAD_END)
SEED = {"left": 3600, "right": 3601}


@functools.cache
def _true_run(exercise: str, placement: str, down_side: str) -> tuple[SessionResult, ClipSpec]:
    clip = ClipSpec(
        f"{exercise}_{placement}_{down_side}",
        exercise,
        placement,
        SEED[down_side],
        options={"down_side": down_side},
    )
    return replay_series(load_spec(exercise), true_series(clip)).result, clip


@pytest.mark.parametrize("down_side", ["left", "right"])
@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_true_landmarks_count_and_time_every_rep_from_every_placement(
    exercise: str, placement: str, down_side: str
) -> None:
    # scenario: lying on `down_side`, four lifts or openings, the laptop at `placement`, and a pose
    # model that never errs: only the spec's measure decides what is counted. The thighs' angle
    # in the image counted none of the leg lifts from the head end (the resting legs read 58 deg
    # apart there, never 'together').
    result, clip = _true_run(exercise, placement, down_side)
    true_reps = [iv for iv in clip.script().timeline.intervals if iv.kind == "rep"]
    assert len(result.reps) == len(true_reps), (len(result.reps), len(true_reps))
    for got, want in zip(result.reps, true_reps, strict=True):
        # Each counted rep lies within its true one (from leaving the rest to being back).
        assert want.start_s <= got.start_s < got.end_s <= want.end_s, (got, want)
    # The same reps at the same times as from in front.
    front, _ = _true_run(exercise, "front", down_side)
    assert [(r.start_s, r.end_s) for r in result.reps] == [(r.start_s, r.end_s) for r in front.reps]


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_true_landmarks_of_a_clean_set_are_judged_on_every_rule(
    exercise: str, placement: str
) -> None:
    # scenario: a clean set (hips stacked, the leg straight, feet together): from anywhere on the
    # floor the body's left-right axis stands upright in the picture, so every rule is judged
    # (nothing 'not checked in this view') and none fails.
    result, _ = _true_run(exercise, placement, "left")
    assert result.view in ("front", "diagonal")
    assert result.rules_unchecked == {}
    assert result.faults == []


def test_feet_hidden_behind_the_thighs_leave_the_feet_rule_unmeasured_not_the_count() -> None:
    # scenario: a clamshell filmed from in front and toward the head, where the feet lie behind
    # the thighs and the model sees them poorly (ankle visibility 0.1): every opening is still
    # counted on the knees, and the feet rule says it cannot see the feet instead of passing.
    _, clip = _true_run("clamshell", HEAD_DIAGONAL, "left")
    series = true_series(clip)
    for side in ("left", "right"):
        series.visibility[:, INDEX[f"{side}_ankle"]] = 0.1
    spec = load_spec("clamshell")
    analysis = replay_series(spec, series)
    true_reps = [iv for iv in clip.script().timeline.intervals if iv.kind == "rep"]
    assert len(analysis.result.reps) == len(true_reps)
    assert analysis.result.rules_unchecked == {"feet_together": 1.0}
    assert analysis.result.faults == []
    picker = CuePicker(spec)
    texts = {c.text for s in analysis.states for c in picker.candidates(s)}
    assert (
        "Your feet cannot be seen clearly enough to check. Keep your feet in full view of the "
        "camera." in texts
    )


# -- the rendered clips through the pose model (slow) -------------------------------------------

CLIPS = {clip.name: clip for clip in SIDE_LYING_VIEWS}

# clip -> what the pose model does there: a strict xfail on that clip alone.
MISSES = {
    "side_lying_leg_abduction_side_left": "0/4 lifts: from the feet end the model loses the "
    "person through the middle of each lift (132 of the 147 frames without a pose, of 345)",
    "side_lying_leg_abduction_side_right": "3/4 lifts: from the feet end the lifted ankle is "
    "57 px off mid-lift (median; 10 px from in front)",
    "side_lying_leg_abduction_head_left": "2/4 lifts: at the head end the trunk hides the resting "
    "top leg (its knee and ankle at visibility 0.17, median, under the 0.3 gate: 182 of 331 "
    "frames not judged) and the model does not follow the lifted one (the ankle 76 px off "
    "mid-lift; the body's yaw reads 3-66 deg, p10-p90)",
    "side_lying_leg_abduction_head_right": "0/4 lifts: at the head end the pose is found on 163 "
    "of 346 frames and no frame is judged",
    "clamshell_head_left": "0/4 openings: at the head end the trunk hides the legs: the model "
    "reads the resting knees more than 0.6 thigh lengths apart (164 of 330 frames not in the "
    "start position) or too poorly seen (91)",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("side_lying_views")
    render_specs(list(SIDE_LYING_VIEWS), out)
    report = evaluate_dir(out, model_path, LANDMARKS_CACHE, jobs=os.cpu_count() or 1)
    return {c["clip"].removesuffix(".mp4"): c for c in report["per_clip"]}


@pytest.mark.slow
@pytest.mark.parametrize(
    "clip",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=MISSES[name]))
        if name in MISSES
        else name
        for name in CLIPS
    ],
)
def test_rendered_reps_counted_from_each_placement(rendered: dict[str, Any], clip: str) -> None:
    score = rendered[clip]
    assert score["reps_found"] == score["reps_true"], (score["reps_found"], score["reps_true"])
