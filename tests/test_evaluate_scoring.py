"""How `formcheck evaluate` counts a true hold from a truth file (no video, no model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from formcheck.specs.loader import load_spec
from tools.synth.__main__ import main as synth_main
from tools.synth.evaluate import _true_holds

FPS = 10.0
# hip_flexor_kneeling_stretch: its posture is the thighs apart (thigh_opening_deg >= 60) with the
# hips low (hip_height_leg <= 0.65); spine_upright is an error judged in the hold (stops the
# clock), no_bouncing a warning (does not). The hips stay low throughout these truths, so the
# thighs' opening alone moves the person in and out of the posture.
SPEC = load_spec("hip_flexor_kneeling_stretch")


def _truth(
    values: list[float], hold: tuple[float, float], faults: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    frames = [
        {"t_s": i / FPS, "signals": {"left": {"thigh_opening_deg": v, "hip_height_leg": HIPS_LOW}}}
        for i, v in enumerate(values)
    ]
    return {
        "fps": FPS,
        "frames": frames,
        "holds": [{"start_s": hold[0], "end_s": hold[1], "side": "left"}],
        "faults": faults or [],
    }


# half-kneeling and sinking forward / kneeling on both knees
IN, OUT = 110.0, 40.0
HIPS_LOW = 0.4

TRUE_HOLD_SCENARIOS = [
    # in the band exactly over the scripted hold (frames 10..20): 11 frames
    ("exactly_the_script", [OUT] * 10 + [IN] * 11 + [OUT] * 9, (1.0, 2.0), None, 1.1),
    # easing out takes 0.5 s still inside the band after the script's hold ends: counted
    ("still_in_band_after_the_script", [OUT] * 10 + [IN] * 16 + [OUT] * 4, (1.0, 2.0), None, 1.6),
    # the move in reaches the band before the scripted start is marked: counted too
    ("in_band_before_the_script", [OUT] * 7 + [IN] * 14 + [OUT] * 9, (1.0, 2.0), None, 1.4),
    # a dip out of the band inside the hold is not counted, and a later, separate stay in the
    # band (another pass through it after leaving) is not joined to the hold
    (
        "dip_inside_and_a_separate_stay_after",
        [OUT] * 10 + [IN] * 4 + [OUT] * 2 + [IN] * 5 + [OUT] * 3 + [IN] * 3 + [OUT] * 3,
        (1.0, 2.0),
        None,
        0.9,
    ),
    # an error judged in the hold (spine_upright) stops the true clock for its interval
    (
        "error_fault_stops_the_clock",
        [OUT] * 10 + [IN] * 11 + [OUT] * 9,
        (1.0, 2.0),
        {"rule": "spine_upright", "start_s": 1.25, "end_s": 1.55},
        0.8,
    ),
    # bouncing is not a held stretch: it stops the true clock too
    (
        "bouncing_stops_the_clock",
        [OUT] * 10 + [IN] * 11 + [OUT] * 9,
        (1.0, 2.0),
        {"rule": "no_bouncing", "start_s": 1.25, "end_s": 1.55},
        0.8,
    ),
    # a warning about the front knee does not
    (
        "warning_fault_does_not",
        [OUT] * 10 + [IN] * 11 + [OUT] * 9,
        (1.0, 2.0),
        {"rule": "front_knee_90", "start_s": 1.25, "end_s": 1.55},
        1.1,
    ),
]


@pytest.mark.parametrize(
    "values, hold, fault, seconds",
    [s[1:] for s in TRUE_HOLD_SCENARIOS],
    ids=[s[0] for s in TRUE_HOLD_SCENARIOS],
)
def test_true_hold_seconds(
    values: list[float],
    hold: tuple[float, float],
    fault: dict[str, Any] | None,
    seconds: float,
) -> None:
    truth = _truth(values, hold, [fault] if fault else None)
    [(side, got)] = _true_holds(SPEC, truth)
    assert side == "left"
    assert got == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize(
    ("name", "values", "expected_s"),
    [
        # still folding inside the band for 0.5 s (frames 10-15), then resting: the hold runs
        # from the start of the first 0.5 s within the settle range (2 deg), as the engine's
        # does: frames 15-29 (the fold itself is not counted)
        ("folding_then_resting", [OUT] * 10 + [110, 114, 118, 122, 126, 130] + [130] * 14, 1.5),
        # resting from the moment the band is reached (frame 10): the half-second that confirms
        # the stillness is counted too, frames 10-29
        ("resting_at_once", [OUT] * 10 + [130] * 20, 2.0),
        # resting (frames 10-24), then easing out through the band (frames 25-29): the hold ends
        # at the last still frame, as the engine's does: frames 10-24
        ("resting_then_easing_out", [OUT] * 10 + [130] * 15 + [126, 122, 118, 114, 110], 1.5),
    ],
)
def test_true_hold_is_the_settled_stay(name: str, values: list[float], expected_s: float) -> None:
    hold = SPEC.hold.model_copy(update={"settle_within": 2.0, "settle_s": 0.5})  # type: ignore[union-attr]
    spec = SPEC.model_copy(update={"hold": hold})
    [(_, got)] = _true_holds(spec, _truth(values, (1.0, 3.0)))
    assert got == pytest.approx(expected_s, abs=1e-6)


@pytest.mark.parametrize(
    ("truth", "expected"),
    [
        # scenario: a truth file cut short by a failed copy
        ('{"truth_version": 1, "exercise": "hip', "cannot be read"),
        # scenario: a truth file for an exercise this version does not know
        ('{"truth_version": 1, "exercise": "moonwalk", "clip": "x.mp4"}', "unknown exercise"),
        # scenario: a truth file from another version of the renderer
        ('{"truth_version": 99}', "truth_version 99"),
    ],
)
def test_tools_evaluate_bad_truth_file_is_one_line_exit_2(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str], truth: str, expected: str
) -> None:
    (tmp_path / "clip.truth.json").write_text(truth)
    assert synth_main(["evaluate", str(tmp_path), "--model", str(model_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("python -m tools.synth: error:"), err
    assert expected in err[0]


def test_tools_evaluate_needs_truth_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert synth_main(["evaluate", str(tmp_path)]) == 2
    assert "no truth files" in capsys.readouterr().err
