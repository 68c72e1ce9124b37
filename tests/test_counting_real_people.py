"""Rep counting on what real people do (scenarios found on the labelled real clips).

Each scenario names the real situation it stands for; the figures come from
``tests.factories.side_view_squat_frame`` with known angles.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from formcheck.engine.reps import RepCounter
from formcheck.engine.session import ExerciseSession, SessionResult
from formcheck.landmarks import LANDMARK_NAMES, PoseFrame
from formcheck.results import RunInfo, to_dict
from formcheck.signals.reference import StandingHipHeight
from formcheck.signals.view import near_side
from formcheck.specs.loader import load_spec
from formcheck.ui.review import rep_rows
from tests.factories import piecewise_wave, side_view_squat_frame


def _squats(wave: list[tuple[float, float]], exercise: str = "box_squat") -> SessionResult:
    session = ExerciseSession(load_spec(exercise))
    for t, knee in wave:
        session.update(t, side_view_squat_frame(t, knee))
    return session.finish()


SQUAT = [(1.2, 110), (0.4, 110), (1.2, None)]  # None: back to the standing reading


def _squat_set(standing_deg: float, reps: int = 3) -> list[tuple[float, float]]:
    segments = [(2.0, standing_deg)]
    for _ in range(reps):
        segments += [(d, standing_deg if v is None else v) for d, v in SQUAT] + [
            (0.8, standing_deg)
        ]
    return piecewise_wave(segments)


@pytest.mark.parametrize(
    ("standing_deg", "reps"),
    [
        (5.0, 3),  # scenario: side-on, the model reads a standing knee at 5 deg
        (20.0, 3),  # scenario: soft knees
        # scenario: filmed from the front, the model reads this person's standing knee at
        # 28 deg (real front-view squats: 26-31): still their standing posture
        (28.0, 3),
        (31.0, 3),
    ],
)
def test_standing_is_learnt_from_the_persons_own_straightest_knees(
    standing_deg: float, reps: int
) -> None:
    assert len(_squats(_squat_set(standing_deg)).reps) == reps


def test_someone_who_starts_seated_has_no_standing_height_until_they_stand() -> None:
    reference = StandingHipHeight()
    for k in range(60):  # scenario: 2 s seated on the box, knees at 90
        value = reference.update(side_view_squat_frame(k / 30, 90.0))
    assert math.isnan(value)
    for k in range(60, 90):  # then stands up straight
        value = reference.update(side_view_squat_frame(k / 30, 5.0))
    assert value > 0


def _shrunk(frame: PoseFrame, scale: float) -> PoseFrame:
    """The same pose further from the camera: smaller in the image, feet staying on the floor."""
    feet = np.array([400.0, 900.0])
    return replace(frame, xy_px=feet + (frame.xy_px - feet) * scale)


def test_stepping_away_from_the_camera_is_not_a_squat() -> None:
    # scenario: a lifter walks the bar back to the rack, away from the camera: the hips drop by
    # a quarter in the image with the knees straight. Not a rep, and the reps table says why.
    session = ExerciseSession(load_spec("box_squat"))
    scale = piecewise_wave([(2.0, 1.0), (1.5, 0.72), (1.5, 0.72), (1.5, 1.0), (1.0, 1.0)])
    for t, s in scale:
        session.update(t, _shrunk(side_view_squat_frame(t, 5.0), s))
    result = session.finish()
    assert result.reps == []
    assert len(result.not_counted) == 1
    assert "knees" in result.not_counted[0].reason
    data = to_dict(result, RunInfo("walk.mp4", 7.5, 0.1, "replay"))
    assert data["reps"]["not_counted"][0]["reason"] == result.not_counted[0].reason
    rows = rep_rows(load_spec("box_squat"), result)
    assert [(row["Result"], row["Faults"]) for row in rows] == [
        ("Not counted", result.not_counted[0].reason)
    ]


def test_a_rep_begun_before_it_was_seen_is_not_timed() -> None:
    # scenario: a deadlift clip that starts with the lifter already over the bar: the first
    # return to standing is a rep, but its start was never seen, so it is not "too fast".
    session = ExerciseSession(load_spec("hip_hinge"))
    for t, lean in piecewise_wave([(1.0, 90), (0.4, 0), (2.0, 0)]):
        session.update(t, side_view_squat_frame(t, 0.0, trunk_lean_deg=lean))
    result = session.finish()
    assert len(result.reps) == 1
    assert result.reps[0].faults == ()
    assert math.isnan(result.reps[0].tempo_s)
    data = to_dict(result, RunInfo("d.mp4", 3.4, 0.1, "replay"))
    assert data["reps"]["events"][0]["tempo_s"] is None


@pytest.mark.parametrize(
    ("last_raw", "counted"),
    [
        # scenario: the recording stops the moment the person is back up; the smoothed value
        # still lags in the end band, the last frame's own value is back in the start band
        (0.03, True),
        # scenario: stopped past the middle of the way up
        (0.08, True),
        # scenario: stopped still low: not a finished rep
        (0.12, False),
        # scenario: no raw value known: the smoothed one decides (still in the end band)
        (math.nan, False),
    ],
)
def test_a_rep_finished_as_the_clip_ends_counts(last_raw: float, counted: bool) -> None:
    counter = RepCounter(load_spec("box_squat").reps)  # type: ignore[arg-type]
    for t, v in piecewise_wave([(1.0, 0.0), (1.0, 0.6), (0.5, 0.6), (0.6, 0.2)]):
        counter.update(t, v)
    assert (counter.finish(last_raw) is not None) == counted


def _half_turned(frame: PoseFrame, hidden: str | None = None) -> PoseFrame:
    """The same person turned 45 deg toward the camera (the view tracker reads diagonal), with
    one leg's knee and ankle hidden behind the other when ``hidden`` names it."""
    world = frame.world_xyz_m.copy()
    vis = frame.visibility.copy()
    for i, name in enumerate(LANDMARK_NAMES):
        world[i, 0] += 0.1 if name.startswith("left_") else -0.1 if name.startswith("right_") else 0
        if hidden and name in (f"{hidden}_knee", f"{hidden}_ankle"):
            vis[i] = 0.1
    return replace(frame, world_xyz_m=world, visibility=vis)


@pytest.mark.parametrize(
    ("hidden", "side"),
    [
        (None, "both"),  # scenario: half-turned, both legs in view: both judged
        # scenario: half-turned with the far leg hidden behind the near one (a real barbell
        # squat: a third of its frames could not be judged): the leg in view is judged
        ("left", "right"),
        ("right", "left"),
    ],
)
def test_half_turned_with_the_far_leg_hidden_is_still_judged(hidden: str | None, side: str) -> None:
    session = ExerciseSession(load_spec("box_squat"))
    states = [
        session.update(t, _half_turned(side_view_squat_frame(t, k), hidden))
        for t, k in _squat_set(5.0)
    ]
    result = session.finish()
    assert len(result.reps) == 3
    judged = [s for s in states if s.assessable]
    assert len(judged) / len(states) > 0.9
    assert {s.side for s in judged} == {side}


@pytest.mark.parametrize(
    ("left_vis", "right_vis", "near"),
    [
        # depth decides when both sides are about as visible (the factory puts the left nearer)
        (0.9, 0.9, "left"),
        # scenario: side-on, the right leg clearly in view and the left hidden: the right is the
        # near side whatever the model's depth says
        (0.3, 0.95, "right"),
        (0.95, 0.3, "left"),
    ],
)
def test_near_side_prefers_the_clearly_visible_side(
    left_vis: float, right_vis: float, near: str
) -> None:
    frame = side_view_squat_frame(0.0, 10.0, near="left")
    vis = frame.visibility.copy()
    for i, name in enumerate(LANDMARK_NAMES):
        if name.startswith("left_"):
            vis[i] = left_vis
        elif name.startswith("right_"):
            vis[i] = right_vis
    assert near_side(replace(frame, visibility=vis)) == near


def test_a_rep_cross_check_needs_a_band() -> None:
    from pydantic import ValidationError

    from formcheck.specs.schema import RepConfirm

    with pytest.raises(ValidationError, match="needs 'at_peak', 'rise_from_start' or both"):
        RepConfirm(signal="knee_flexion_deg", reason="the knees did not bend")


def test_a_spike_in_the_back_outline_is_not_how_much_the_back_bent() -> None:
    # scenario: two frames of a mis-traced outline (a plate behind the back) read 40 deg at the
    # bottom of a clean hinge: neither a fault nor the rep's reported bend (held 0.3 s).
    session = ExerciseSession(load_spec("hip_hinge"))
    for k, (t, lean) in enumerate(
        piecewise_wave([(1.0, 5), (1.5, 100), (1.0, 100), (1.5, 5), (1.0, 5)])
    ):
        bend = 40.0 if k in (75, 76) else 3.0
        frame = side_view_squat_frame(t, 10.0, trunk_lean_deg=lean)
        session.update(t, replace(frame, extras={"back_bend_deg": bend}))
    result = session.finish()
    assert [r.faults for r in result.reps] == [()]
    assert result.reps[0].measures["back_bend_deg"] == pytest.approx(3.0, abs=1.0)
