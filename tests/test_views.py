"""Counting and timing from every view a patient can set up: rendered clips with exact truth
through the real pose model (slow the first time; the landmarks are then cached by the clips' and
the model's hashes), and the real standing stretches with the head taken out of their landmarks.

- Glute bridges side-on, half-turned toward the feet (45 deg) and from the feet end.
- The standing stretches framed with the head out of the picture (cut at the chin), side-on,
  from the front and half-turned.

What the engine cannot count or time yet in a view is a strict xfail on that clip with what it
does there, so a regression on any other clip fails, and a fix turns the test red until the mark
goes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formcheck.analyze import replay_series
from formcheck.corpus.landmarks_cache import landmarks_for_clips
from formcheck.landmarks import INDEX, LandmarkSeries
from formcheck.specs.loader import load_spec
from tests.support.paths import CLIPS_DIR, LANDMARKS_CACHE, clips_manifest
from tools.synth.catalog import STANDING_STRETCHES, render_specs, views_specs
from tools.synth.clip import ClipSpec
from tools.synth.evaluate import evaluate_dir

pytestmark = pytest.mark.slow

BRIDGES = [s for s in views_specs() if s.exercise == "glute_bridge"]
HEAD_OUT = [s for s in views_specs() if s.exercise in STANDING_STRETCHES]


def _gap(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=reason)


MISSES = {
    "bridge_front_7001": "from the feet end the model finds the lying figure in 9% of the "
    "frames (the legs point at the camera): nothing to count",
    "quad_stretch_standing_side_head_out": "0.9 s off: side-on the model misreads the "
    "figure's folded shank (knee 47-117 deg where the truth is 133; with the head in the "
    "picture no hold is found at all)",
    "quad_stretch_standing_front_head_out": "no hold: the held foot is behind the body, its "
    "ankle's visibility 0.04-0.15, under the readiness floor, so the hold is never judged (the "
    "3D knee reads 128 deg where the truth is 138); the same with the head in the picture",
    "hamstring_stretch_standing_side_head_out": "1.55 s long: standing side-on with no head in "
    "the picture the model shrinks the skeleton into the trunk and reads it upside down (trunk "
    "165-179 deg) until the fold brings the head in at 3.5 s, so a 'fold' is timed from 1.05 s "
    "(with the head in the picture: 0.05 s off)",
    "hip_flexor_standing_stretch_diagonal_head_out": "1.15 s short: half-turned the 3D thigh "
    "opening reads 42-44 deg where the truth is 52 and the view flips between diagonal and "
    "front, so the clock starts 1 s late; the same with the head in the picture",
    "hip_flexor_standing_stretch_front_head_out": "3.3 s short: from the front the 3D thigh "
    "opening reads 19-27 deg where the truth is 59, around the posture's 20; the same with the "
    "head in the picture",
    "calf_stretch_wall_side_head_out": "0.75 s short: the lean creeps up after smoothing "
    "(13 -> 18 deg over 1 s) and settles within 2 deg late; 0.5 s with the head in the picture",
    "calf_stretch_wall_diagonal_head_out": "no hold: half-turned the 3D split stance reads "
    "0.17-0.23 leg lengths where the truth is 0.45, around the posture's 0.2, and the front "
    "leg is taken for the straight one; the same with the head in the picture",
    "calf_stretch_wall_front_head_out": "no hold: from the front the 3D split stance reads "
    "0.18-0.25 leg lengths where the truth is 0.5; the same with the head in the picture",
}


def _params(specs: list[ClipSpec]) -> list[Any]:
    return [
        pytest.param(s.name, marks=_gap(MISSES[s.name])) if s.name in MISSES else s.name
        for s in specs
    ]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("views")
    render_specs([*BRIDGES, *HEAD_OUT], out)
    report = evaluate_dir(out, model_path, LANDMARKS_CACHE, jobs=os.cpu_count() or 1)
    return {"dir": out, "scores": {Path(c["clip"]).stem: c for c in report["per_clip"]}}


@pytest.mark.parametrize("clip", _params(BRIDGES))
def test_bridges_counted_from_every_view(rendered: dict[str, Any], clip: str) -> None:
    # Half-turned the 3D hip angle tops out at 35 deg (true 13): an absolute top band of 24 deg
    # counts 0 of 3 there; counted from the person's resting level, all 3.
    score = rendered["scores"][clip]
    assert score["reps_true"] == 3
    assert score["reps_found"] == score["reps_true"], score["reps_found"]


@pytest.mark.parametrize("clip", _params(HEAD_OUT))
def test_standing_stretches_timed_with_the_head_out_of_the_picture(
    rendered: dict[str, Any], clip: str
) -> None:
    errors = rendered["scores"][clip]["hold_abs_err_s"]
    assert errors and max(errors) <= 0.5, errors


# The head's landmarks: the nose, eyes, ears and mouth.
HEAD = [
    i
    for name, i in INDEX.items()
    if name == "nose" or any(p in name for p in ("eye", "ear", "mouth"))
]


def _head_out(series: LandmarkSeries) -> LandmarkSeries:
    """The same landmarks with the head above the picture and unseen (visibility 0)."""
    xy, vis = series.xy_px.copy(), series.visibility.copy()
    posed = ~np.isnan(series.xy_px[:, 0, 0])  # frames with a pose
    xy[np.ix_(posed, HEAD, [1])] = -100.0
    vis[np.ix_(posed, HEAD)] = 0.0
    return LandmarkSeries(
        series.t_s, xy, series.world_xyz_m, vis, series.image_wh, series.source, series.extras
    )


def _outcome(spec_id: str, series: LandmarkSeries) -> tuple[Any, ...]:
    analysis = replay_series(load_spec(spec_id), series)
    res = analysis.result
    return (
        [(h.start_s, h.end_s, h.side) for h in res.holds],
        [(f.rule, f.start_s, f.end_s) for f in res.faults],
        [(s.reason, s.view, s.side, s.phase, s.in_position) for s in analysis.states],
    )


REAL_STANDING = [e["file"] for e in clips_manifest() if e.get("spec") in STANDING_STRETCHES]


def test_the_head_is_in_no_standing_stretch_spec() -> None:
    # Readiness asks the landmarks of ``ready.landmarks`` to be seen; none is above the shoulders.
    for exercise in STANDING_STRETCHES:
        assert not {"nose", "eye", "ear", "mouth"} & set(load_spec(exercise).ready.landmarks)


@pytest.mark.skipif(not REAL_STANDING, reason=f"real clips not available: {CLIPS_DIR} is absent")
@pytest.mark.parametrize("clip", REAL_STANDING)
def test_real_standing_stretches_judged_alike_without_the_head(clip: str, model_path: Path) -> None:
    # scenario: the same real stretch with the head cut off: readiness, view, side, posture,
    # clock and cues never look above the shoulders, so every frame is judged the same.
    (entry,) = [e for e in clips_manifest() if e["file"] == clip]
    video = CLIPS_DIR / clip
    series = landmarks_for_clips([video], model_path, LANDMARKS_CACHE, jobs=1)[video]
    whole = _outcome(entry["spec"], series)
    assert whole[0], "the stretch should be timed at all"
    assert _outcome(entry["spec"], _head_out(series)) == whole


@pytest.mark.parametrize("clip", [s.name for s in HEAD_OUT])
def test_rendered_standing_stretches_judged_alike_without_the_head_landmarks(
    rendered: dict[str, Any], clip: str, model_path: Path
) -> None:
    # The model still places the head above the picture (nose seen at 0.98): taken out as well,
    # every frame is judged the same, from the front too.
    (spec,) = [s for s in HEAD_OUT if s.name == clip]
    video = rendered["dir"] / f"{clip}.mp4"
    series = landmarks_for_clips([video], model_path, LANDMARKS_CACHE, jobs=1)[video]
    assert _outcome(spec.exercise, _head_out(series)) == _outcome(spec.exercise, series)
