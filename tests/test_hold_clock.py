"""The hold clock runs while the person is still in the stretch's posture, however deep they go.

Stiff bodies are made from the rendered figure's own landmarks (committed, no model): each frame
of the stretch is blended halfway back toward the start of the stretch, so the figure goes half as
deep and holds just as still. A clinician's minimum depth for one patient (``hold.target``, as a
program's ``hold_target`` sets it) makes the clock wait, and the cue says why.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck.analyze import replay_series
from formcheck.engine.session import ExerciseSession, FrameState
from formcheck.feedback import BELOW_TARGET, CuePicker
from formcheck.landmarks import LandmarkSeries
from formcheck.specs.loader import load_spec
from formcheck.specs.schema import Band, ExerciseSpec
from tests.support.goldens import LANDMARKS_DIR


def _series(name: str) -> LandmarkSeries:
    return LandmarkSeries.load(LANDMARKS_DIR / f"{name}.npz")


def _stiffer(series: LandmarkSeries, from_s: float, to_s: float, share: float) -> LandmarkSeries:
    """The frames between ``from_s`` and ``to_s`` moved ``share`` of the way back toward the
    frame at ``from_s`` (the start of the stretch): the same hold, ``1 - share`` as deep."""
    i0 = int(np.searchsorted(series.t_s, from_s))
    inside = (series.t_s >= from_s) & (series.t_s <= to_s)
    xy, world = series.xy_px.copy(), series.world_xyz_m.copy()
    xy[inside] = xy[inside] + share * (xy[i0] - xy[inside])
    world[inside] = world[inside] + share * (world[i0] - world[inside])
    return replace(series, xy_px=xy, world_xyz_m=world)


def _held_s(spec: ExerciseSpec, series: LandmarkSeries) -> float:
    return sum(h.duration_s for h in replay_series(spec, series).result.holds)


# (scenario, landmark file, exercise, start of the stretch, its end): the rendered figure's
# stretch from the frame it begins to sink into it.
STIFF = [
    # child's pose: from sitting on the heels (trunk upright) the fold goes half as far down
    ("childs_pose_half_fold", "childs_pose_side_clean", "childs_pose", 1.0, 10.5),
    # kneeling hip flexor: the first (still) hold sinks half as far forward
    (
        "kneeling_half_sink",
        "hip_flexor_kneeling_side_bouncing_10",
        "hip_flexor_kneeling_stretch",
        4.0,
        7.3,
    ),
]


@pytest.mark.parametrize(
    ("name", "clip", "exercise", "from_s", "to_s"), STIFF, ids=[s[0] for s in STIFF]
)
def test_a_stiff_body_holding_still_is_timed(
    name: str, clip: str, exercise: str, from_s: float, to_s: float
) -> None:
    spec = load_spec(exercise)
    full = _series(clip)
    stiff = _stiffer(full, from_s, to_s, 0.5)
    held_full = _held_s(spec, full)
    held_stiff = _held_s(spec, stiff)
    assert held_full > 2.0
    # Half as deep, just as long: within a second of the supple figure's time.
    assert held_stiff == pytest.approx(held_full, abs=1.0), (held_stiff, held_full)
    # And the depth reported is smaller: measured, not a gate.
    rom_full = replay_series(spec, full).result.holds[0].rom
    rom_stiff = replay_series(spec, stiff).result.holds[0].rom
    assert rom_stiff < rom_full


def test_bouncing_is_not_timed() -> None:
    # scenario: the rendered kneeling stretch, still for 3 s and then bouncing 10 deg at 1 Hz for
    # 2.2 s in each hold: the bouncing is not timed, so each hold is shorter than its stay in the
    # posture by about the bouncing time.
    spec = load_spec("hip_flexor_kneeling_stretch")
    holds = replay_series(spec, _series("hip_flexor_kneeling_side_bouncing_10")).result.holds
    assert len(holds) == 2
    for hold in holds:
        stay_s = hold.end_s - hold.start_s
        assert hold.duration_s <= stay_s - 1.5, (hold.duration_s, stay_s)


def _with_target(spec: ExerciseSpec, target: Band) -> ExerciseSpec:
    assert spec.hold is not None
    return spec.model_copy(update={"hold": spec.hold.model_copy(update={"target": target})})


def _states(spec: ExerciseSpec, series: LandmarkSeries) -> list[FrameState]:
    session = ExerciseSession(spec)
    return [session.update(float(series.t_s[i]), series.frame(i)) for i in range(len(series))]


@pytest.mark.parametrize(
    ("scenario", "share", "target_min", "timed"),
    [
        # the clinician's minimum is below what the patient reaches: timed as without one
        ("target_reached", 0.0, 80.0, True),
        # a stiff patient short of the minimum: the clock waits and the cue says why
        ("target_not_reached", 0.5, 80.0, False),
        # no minimum: the same stiff patient is timed
        ("no_target", 0.5, None, True),
    ],
)
def test_a_clinicians_minimum_depth_makes_the_clock_wait(
    scenario: str, share: float, target_min: float | None, timed: bool
) -> None:
    spec = load_spec("childs_pose")
    if target_min is not None:
        spec = _with_target(spec, Band(min=target_min))
    series = _stiffer(_series("childs_pose_side_clean"), 1.0, 10.5, share)
    states = _states(spec, series)
    held = max(s.hold_s for s in states)
    waiting = [s for s in states if s.hold_waiting == BELOW_TARGET]
    if timed:
        assert held > 4.0
        assert len(waiting) / 30 < 1.0  # at most while easing out of the stretch (30 fps)
    else:
        assert held == 0.0
        assert len(waiting) / 30 > 3.0  # seconds of frames saying why (30 fps)
        picker = CuePicker(spec)
        said = {cue.key for s in states if (cue := picker.update(s)) is not None}
        assert BELOW_TARGET in said
