"""Real engine results from synthetic landmark replays: side-on box squats reaching given knee
bends and standing hamstring stretches held for given times."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from formcheck.engine.holds import Hold
from formcheck.engine.session import ExerciseSession, SessionResult
from formcheck.results import RunInfo, to_dict
from formcheck.specs.loader import load_spec
from tests.factories import side_view_squat_frame

FPS = 15.0
FULL_DEG, SHORT_DEG = 90.0, 66.0  # knee bend at the bottom: 66 deg counts but misses the stool


def _ramp(keys: Sequence[tuple[float, float]]) -> Iterator[tuple[float, float]]:
    """(t, value) at :data:`FPS`, straight lines between the key points."""
    for k in range(int(keys[-1][0] * FPS) + 1):
        t = k / FPS
        (t0, v0), (t1, v1) = next((a, b) for a, b in itertools.pairwise(keys) if t <= b[0])
        yield t, v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1


def squat_session(peaks: Sequence[float]) -> SessionResult:
    """Box squats reaching the given knee bends, one every 3.5 s, judged by the engine."""
    return _squats(tuple(peaks))


@functools.cache  # the same replay gives the same result; many tests reuse a few
def _squats(peaks: tuple[float, ...]) -> SessionResult:
    """:func:`squat_session` for ``peaks`` as a tuple, so that the cache can keep it."""
    keys = [(0.0, 5.0), (1.5, 5.0)]
    for peak in peaks:
        t = keys[-1][0]
        keys += [(t + 1.0, peak), (t + 1.5, peak), (t + 2.5, 5.0), (t + 3.5, 5.0)]
    session = ExerciseSession(load_spec("box_squat"))
    for t, knee in _ramp(keys):
        session.update(t, side_view_squat_frame(t, knee))
    return session.finish()


@functools.cache
def stretch_session(hold_s: float) -> SessionResult:
    """One standing hamstring stretch (trunk folded 70 deg) held ``hold_s`` seconds."""
    keys = [(0.0, 5.0), (2.0, 5.0), (3.0, 70.0), (3.0 + hold_s, 70.0), (4.0 + hold_s, 5.0)]
    keys.append((keys[-1][0] + 2.0, 5.0))
    session = ExerciseSession(load_spec("hamstring_stretch_standing"))
    for t, lean in _ramp(keys):
        session.update(t, side_view_squat_frame(t, 5.0, trunk_lean_deg=lean))
    return session.finish()


def as_dict(result: SessionResult, pain: bool = False) -> dict[str, Any]:
    """The result as a live-camera set saves it, as long as its last rep or hold (1 s at least)."""
    duration = max([r.end_s for r in result.reps] + [h.end_s for h in result.holds] + [1.0])
    return to_dict(result, RunInfo("live camera", duration, 0.1, "replay"), stopped_for_pain=pain)


def two_sided_stretch(
    left_deg: float, right_deg: float, hold_s: float = 20.0, reach_deg: float = 4.0
) -> dict[str, Any]:
    """A kneeling hip-flexor stretch held once on each side, as the engine reports it: each
    hold's depth (the angle between the thighs) is ``left_deg`` or ``right_deg``, its best
    ``reach_deg`` further."""
    spec = load_spec("hip_flexor_kneeling_stretch")
    assert spec.rom is not None
    holds = [
        Hold(2.0, 2.0 + hold_s, hold_s, "left", left_deg, left_deg + reach_deg),
        Hold(30.0, 30.0 + hold_s, hold_s, "right", right_deg, right_deg + reach_deg),
    ]
    result = SessionResult(
        spec.id, [], holds, [], 900, 900, 880, "side", "left",
        rom_signal=spec.rom.signal, rom_better=spec.rom.better,
        rom_same_within=spec.rom.same_within,
    )  # fmt: skip
    return to_dict(result, RunInfo("live camera", 60.0, 0.1, "replay"))
