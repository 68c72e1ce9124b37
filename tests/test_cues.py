"""What the person hears when the engine cannot judge: a reason only once it has lasted."""

from __future__ import annotations

import pytest

from formcheck.engine.session import FrameState
from formcheck.feedback import REASON_PERSIST_S, CuePicker
from formcheck.specs.loader import load_spec

FPS = 30
SQUAT = load_spec("box_squat")
READY_S = SQUAT.ready.min_s


def _state(t_s: float, reason: str | None, faults: tuple[str, ...] = ()) -> FrameState:
    return FrameState(
        t_s=t_s,
        assessable=reason is None,
        reason=reason,  # type: ignore[arg-type]
        view="side",
        side="left",
        ready=reason != "not_ready",
        phase="end" if reason is None else None,
        signals={},
        rep_count=0,
        good_reps=0,
        faulty_reps=0,
        hold_s=0.0,
        in_position=False,
        active_faults=list(faults),
    )


def _said(timeline: list[tuple[float, str | None, tuple[str, ...]]]) -> list[tuple[float, str]]:
    """(time, cue key) of every cue given while ``timeline`` plays at 30 fps; each entry is
    (seconds, reason or None, active faults)."""
    picker = CuePicker(SQUAT)
    said: list[tuple[float, str]] = []
    t = 0.0
    for seconds, reason, faults in timeline:
        for _ in range(round(seconds * FPS)):
            t += 1 / FPS
            cue = picker.update(_state(t, reason, faults))
            if cue is not None and (not said or said[-1][1] != cue.key):
                said.append((round(t, 2), cue.key))
    return said


@pytest.mark.parametrize(
    ("timeline", "keys"),
    [
        # the model loses the person for two frames mid-set: nothing said
        ([(2.0, None, ()), (2 / FPS, "no_person", ()), (2.0, None, ())], []),
        # out of view for a second: said once it has lasted half a second
        ([(2.0, None, ()), (1.0, "no_person", ())], ["no_person"]),
        # a fault being corrected: a 0.2 s dropout does not replace its cue
        (
            [(3.0, None, ("neutral_spine",)), (0.2, "low_confidence", ()), (1.0, None, ())],
            ["neutral_spine"],
        ),
        # standing in the start position while readiness counts its min_s: nothing said
        ([(READY_S, "not_ready", ()), (2.0, None, ())], []),
        # not in the start position for 2 s: said
        ([(2.0, "not_ready", ())], ["not_ready"]),
        # two reasons taking turns every 0.2 s: neither lasts, nothing said
        ([(0.2, "no_person", ()), (0.2, "low_confidence", ())] * 5, []),
    ],
)
def test_reason_cues_wait_until_the_reason_lasts(
    timeline: list[tuple[float, str | None, tuple[str, ...]]], keys: list[str]
) -> None:
    assert [key for _, key in _said(timeline)] == keys


def test_a_lasting_reason_is_said_half_a_second_in() -> None:
    ((t, key),) = _said([(1.0, None, ()), (2.0, "low_confidence", ())])
    assert key == "low_confidence"
    assert t == pytest.approx(1.0 + REASON_PERSIST_S, abs=1.5 / FPS)
