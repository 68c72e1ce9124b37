"""Whatever the pose model returns, each exercise's per-frame chain (session -> cue -> overlay)
gives a state and a picture and never raises, and the finished result is strict JSON.

Live, a frame that raises goes back unannotated and the page warns that the count may miss a
rep, so a crash on odd landmarks costs the patient part of a set. The model's landmarks can sit
outside the image, pile onto one point when the person is barely seen, or jump between frames;
the frames here (hypothesis) are stretches of the committed landmarks of rendered clips, run
through any exercise, or a synthetic squatter, each frame as found, lost, noisy, partly
collapsed or replaced by noise, with gaps and stalls in time.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcheck.engine.session import ExerciseSession
from formcheck.feedback import CuePicker
from formcheck.landmarks import INDEX, NUM_LANDMARKS, LandmarkSeries, PoseFrame
from formcheck.render.overlay import draw_overlay
from formcheck.results import RunInfo, json_text, to_dict
from formcheck.signals.back_curve import EXTRA_NAMES
from formcheck.specs.loader import load_all_specs
from tests.factories import side_view_squat_frame

SPECS = load_all_specs()
# The rendered clips' landmarks committed for the goldens: the model's own output.
LANDMARKS_DIR = Path(__file__).parent / "data" / "landmarks"
RECORDED = sorted(p.name for p in LANDMARKS_DIR.glob("*.npz"))
IMAGE_SIZES = [(640, 480), (360, 640), (1920, 1080), (32, 24)]

_finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


@functools.cache
def _series(name: str) -> LandmarkSeries:
    return LandmarkSeries.load(LANDMARKS_DIR / name)


_extras = st.dictionaries(
    st.sampled_from(EXTRA_NAMES),
    st.floats(min_value=-1e3, max_value=1e3, allow_infinity=False),  # NaN: not measured
)


def _perturbed(
    draw: st.DrawFn, base: PoseFrame, t_s: float, image_wh: tuple[int, int]
) -> PoseFrame | None:
    """``base`` as found, lost, noisy, partly collapsed onto one point, or replaced by noise."""
    # Mostly as found, so that sets get under way and holds start.
    kind = draw(st.sampled_from(["as found"] * 6 + ["none", "noisy", "collapsed", "random"]))
    if kind == "none":
        return None
    w, h = image_wh
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # Landmarks found in another frame size are scaled into this one.
    xy = base.xy_px * (np.array(image_wh) / np.array(base.image_wh))
    world = base.world_xyz_m.copy()
    vis = base.visibility.copy()
    if kind == "noisy":
        xy = xy + rng.normal(0, draw(st.floats(0, 0.3)) * h, xy.shape)
        world = world + rng.normal(0, draw(st.floats(0, 0.5)), world.shape)
        vis = np.clip(vis - rng.uniform(0, draw(st.floats(0, 1)), NUM_LANDMARKS), 0, 1)
    elif kind == "collapsed":
        # Some or all landmarks on one point (a person barely in view).
        keep = rng.uniform(0, 1, NUM_LANDMARKS) < draw(st.floats(0, 1))
        xy[~keep] = xy[INDEX["left_hip"]]
        world[~keep] = 0.0
    elif kind == "random":
        xy = rng.uniform(-w, 2 * w, xy.shape)
        world = rng.uniform(-2, 2, world.shape)
        vis = rng.uniform(0, 1, NUM_LANDMARKS)
    extras = base.extras if kind == "as found" else draw(_extras)
    return PoseFrame(t_s, xy, world, vis, image_wh, extras)


def _generated_person(draw: st.DrawFn, t_s: float) -> PoseFrame:
    """The synthetic side-on squatter at a drawn depth, lean and facing (a 1000 px canvas)."""
    return side_view_squat_frame(
        t_s,
        draw(st.floats(0, 140)),
        trunk_lean_deg=draw(st.none() | st.floats(-30, 100)),
        facing=draw(st.sampled_from(["left", "right"])),
        near=draw(st.sampled_from(["left", "right"])),
    )


@st.composite
def _session_frames(
    draw: st.DrawFn,
) -> tuple[str, str, tuple[int, int], list[tuple[float, PoseFrame | None]]]:
    spec_id = draw(st.sampled_from(sorted(SPECS)))
    side = draw(st.sampled_from(["auto", "left", "right"]))
    image_wh = draw(st.sampled_from(IMAGE_SIZES))
    # A stretch of a recorded (rendered) clip, whatever its exercise, or the synthetic squatter.
    clip = draw(st.none() | st.sampled_from(RECORDED))
    series = _series(clip) if clip else None
    start = draw(st.integers(0, len(series) - 1)) if series else 0
    frames: list[tuple[float, PoseFrame | None]] = []
    t_s = draw(_finite.filter(lambda v: v >= 0))
    for i in range(draw(st.integers(1, 120))):
        # 30 fps, a stalled clock, a dropped stretch of frames or the camera off for a while.
        t_s += draw(st.sampled_from([1 / 30, 1 / 30, 1 / 30, 1e-3, 0.5, 12.0]))
        if series is not None:
            found = series.frame((start + i) % len(series))
            base = found if found is not None else _generated_person(draw, t_s)
        else:
            base = _generated_person(draw, t_s)
        frames.append((t_s, _perturbed(draw, base, t_s, image_wh)))
    return spec_id, side, image_wh, frames


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_session_frames())
def test_any_landmarks_give_a_state_a_picture_and_a_json_result(
    case: tuple[str, str, tuple[int, int], list[tuple[float, PoseFrame | None]]],
) -> None:
    spec_id, side, (w, h), frames = case
    spec = SPECS[spec_id]
    session = ExerciseSession(spec, side=side)  # type: ignore[arg-type]
    picker = CuePicker(spec)
    picture = np.zeros((h, w, 3), np.uint8)
    for t_s, pose in frames:
        state = session.update(t_s, pose)
        cue = picker.update(state)
        out = draw_overlay(picture, pose, state, spec, cue.text if cue else None)
        assert out.shape == picture.shape and out.dtype == np.uint8
    result = session.finish()
    data = to_dict(result, RunInfo("generated", 1.0, 0.1, "test"), False)
    json.loads(json_text(data))
