"""Checks any spec can use: bouncing, tempo, both sides compared, range of motion per rep/hold."""

from __future__ import annotations

import math
from dataclasses import replace

import jsonschema
import numpy as np
import pytest

from formcheck.engine.holds import Hold, HoldTimer
from formcheck.engine.perception import GlitchGate, JumpDetector
from formcheck.engine.rules import RuleMonitor, StartBaseline, SwingCounter
from formcheck.engine.session import ExerciseSession, RepEvent, SessionResult
from formcheck.feedback import CuePicker
from formcheck.landmarks import INDEX, NUM_LANDMARKS, PoseFrame, hip_centre
from formcheck.results import RunInfo, result_schema, to_dict
from formcheck.signals.catalog import (
    SignalContext,
    back_bend_deg,
    bent_knee_side,
    hip_height_leg,
    knee_valgus_thigh,
    left_knee_valgus_thigh,
    pulled_leg_side,
    right_knee_valgus_thigh,
    stance_split_leg,
    straight_leg_side,
)
from formcheck.specs.loader import load_spec
from formcheck.specs.schema import Band, HoldSpec
from tests.factories import PX_PER_M, piecewise_wave, side_view_squat_frame

FPS = 30.0


def _series(fn, seconds: float) -> list[tuple[float, float]]:
    return [(k / FPS, fn(k / FPS)) for k in range(round(seconds * FPS))]


def _jitter(t: float) -> float:
    """Deterministic landmark-like jitter of about +-1.5 deg."""
    return 1.5 * math.sin(37.0 * t) * math.cos(11.0 * t)


def _bounce_faults(samples: list[tuple[float, float]]) -> int:
    rule = next(r for r in load_spec("childs_pose").rules if r.id == "no_bouncing")
    assert rule.steady is not None
    swings = SwingCounter(rule.steady.window_s, rule.steady.swing)
    monitor = RuleMonitor(rule)
    faults = [f for t, v in samples if (f := monitor.update(t, swings.update(t, v), True))]
    if (f := monitor.close(samples[-1][0])) is not None:
        faults.append(f)
    return len(faults)


BOUNCE_SCENARIOS = [
    # a slow steady hold, easing 10 deg deeper over 10 s with landmark jitter: not bouncing
    ("steady_hold_easing_deeper", _series(lambda t: 140 + t + _jitter(t), 10), 0),
    # bouncing at 1 Hz, 8 deg either way, for 5 s inside the hold: flagged
    ("bounce_1hz", _series(lambda t: 150 + 8 * math.sin(2 * math.pi * t) + _jitter(t), 5), 1),
    # bouncing at 0.5 Hz with 5 deg either way: still a bounce
    ("bounce_half_hz", _series(lambda t: 150 + 5 * math.sin(math.pi * t), 8), 1),
    # one deliberate ease out and back in over 4 s: two reversals, allowed
    ("ease_out_once", piecewise_wave([(2, 150), (2, 140), (2, 150), (4, 150)]), 0),
    # a fast 2 Hz tremor of 2 deg: below the swing, landmark noise not a bounce
    ("small_tremor", _series(lambda t: 150 + 2 * math.sin(4 * math.pi * t), 8), 0),
    # a still hold whose landmarks glitch 20 deg for two frames in every 21 (a hand crossing the
    # ankle): spikes, not swings
    ("glitch_spikes", _series(lambda t: 150 - (20 if round(t * FPS) % 21 < 2 else 0), 8), 0),
]


def test_slow_return_long_after_a_push_is_not_a_bounce():
    # scenario: one quick push deeper and back (a bounce: one reversal), a 2 s stay, then easing
    # slowly out of the stretch: that last turn comes seconds after its extreme and is not counted.
    counter = SwingCounter(window_s=4.0, swing=6.0)
    wave = piecewise_wave([(1.0, 150), (0.3, 160), (0.3, 140), (2.0, 140), (1.5, 150)])
    hz = [counter.update(t, v) for t, v in wave]
    assert hz[-1] == pytest.approx(1 / 8)


@pytest.mark.parametrize(
    ("name", "samples", "expected"), BOUNCE_SCENARIOS, ids=[s[0] for s in BOUNCE_SCENARIOS]
)
def test_bounce_scenarios(name, samples, expected):
    assert _bounce_faults(samples) == expected


def test_swing_frequency_in_hz():
    counter = SwingCounter(window_s=4.0, swing=5.0)
    hz = 0.0
    for t, v in _series(lambda t: 10 * math.sin(2 * math.pi * t), 8):
        hz = counter.update(t, v)
    # A 1 Hz oscillation reverses twice a second: 8 reversals in 4 s = 1 Hz.
    assert hz == pytest.approx(1.0, abs=0.15)


def test_swings_before_settling_are_not_counted():
    # scenario: big quick swings while switching legs (0-3 s), then the position is taken at
    # 5 s and held still. Counting from 1 s before settling, nothing remains.
    counter = SwingCounter(window_s=4.0, swing=6.0)
    hz = []
    for t, v in _series(lambda t: 100 + (30 * math.sin(3 * math.pi * t) if t < 3 else 0), 8):
        hz.append(counter.update(t, v, since_s=5.0 - 1.0))
    assert max(hz) == 0.0
    # the same swings do count without a settling time
    counter = SwingCounter(window_s=4.0, swing=6.0)
    assert max(counter.update(t, v) for t, v in _series(lambda t: 100 + 30 * math.sin(3 * t), 3))


# -- change from the start position ------------------------------------------------------------


def _spine_faults(standing_deg: float, rise_deg: float, stand_first_s: float = 2.0) -> int:
    """A hinge rep whose spine angle rises by ``rise_deg`` from ``standing_deg``."""
    # A rule on a landmark angle judged both absolutely (35) and as a rise from the person's own
    # standing value (15): the mechanism `change_from_start` gives any spec.
    rule = next(r for r in load_spec("hip_hinge").rules if r.id == "neutral_spine").model_copy(
        update={
            "signal": "spine_flexion_deg",
            "ok": Band(max=35),
            "change_from_start": Band(max=15),
            "min_persist_s": 0.5,
        }
    )
    monitor = RuleMonitor(rule)
    baseline = StartBaseline()
    wave = piecewise_wave([(stand_first_s, standing_deg), (1.0, standing_deg + rise_deg), (2.0, 0)])
    faults = 0
    for t, v in wave:
        in_start = t <= stand_first_s
        b = baseline.update(t, v, in_start)
        faults += monitor.update(t, v, not in_start, b) is not None
    faults += monitor.close(wave[-1][0]) is not None
    return faults


CHANGE_SCENARIOS = [
    # a neutral hinge by someone who stands with a forward head (28 deg): rises 10, no fault
    ("forward_head_neutral_hinge", 28.0, 10.0, 2.0, 0),
    # the same person rounding the back: rises 20, to 48, past both limits
    ("forward_head_rounded", 28.0, 20.0, 2.0, 1),
    # someone standing straight (5 deg) rounding by 20 deg: under the absolute limit, but a
    # rise of 20 from their own standing angle is a rounded back
    ("upright_person_rounded", 5.0, 20.0, 2.0, 1),
    # the same rise of 12: within the allowed change
    ("upright_person_neutral", 5.0, 12.0, 2.0, 0),
    # no standing seen before the rep (a deadlift set up at the floor): only the absolute limit
    ("no_start_seen_rise_20", 5.0, 20.0, 0.0, 0),
]


@pytest.mark.parametrize(
    ("name", "standing", "rise", "stand_s", "expected"),
    CHANGE_SCENARIOS,
    ids=[s[0] for s in CHANGE_SCENARIOS],
)
def test_change_from_start_scenarios(name, standing, rise, stand_s, expected):
    assert _spine_faults(standing, rise, stand_s) == expected


# -- tempo ---------------------------------------------------------------------------------


def _run_squats(wave) -> tuple[SessionResult, list]:
    session = ExerciseSession(load_spec("box_squat"))
    states = [session.update(t, side_view_squat_frame(t, v)) for t, v in wave]
    return session.finish(), states


TEMPO_SCENARIOS = [
    # three calm squats, ~2 s each out of the start band (box squat min_rep_s 1.0): no flag
    ("calm", piecewise_wave([(1, 5)] + [(1, 90), (0.5, 90), (1, 5), (0.5, 5)] * 3), [(), (), ()]),
    # the second squat rushed, 0.3 s down and 0.3 s up: flagged too_fast, the others not
    (
        "one_rushed",
        piecewise_wave(
            [
                *[(1, 5), (1, 90), (0.5, 90), (1, 5), (0.5, 5)],
                *[(0.3, 90), (0.25, 90), (0.3, 5), (0.5, 5)],
                *[(1, 90), (0.5, 90), (1, 5), (0.5, 5)],
            ]
        ),
        [(), ("too_fast",), ()],
    ),
]


@pytest.mark.parametrize(
    ("name", "wave", "expected"), TEMPO_SCENARIOS, ids=[s[0] for s in TEMPO_SCENARIOS]
)
def test_tempo_scenarios(name, wave, expected):
    result, _ = _run_squats(wave)
    assert [r.faults for r in result.reps] == expected
    assert sum(f.rule == "too_fast" for f in result.faults) == sum(1 for e in expected if e)


@pytest.mark.parametrize(
    ("name", "shift_px", "expected"),
    [
        # scenario: a split-screen clip; the tracker switches from the person standing to the
        # other one, who is already half-way down a squat: the rep is counted, but its start was
        # never seen, so its tempo is not judged
        ("switched_mid_squat", 600.0, [()]),
        # the same numbers from one body that stood, dropped and came up in 0.6 s: too fast
        ("same_body", 0.0, [("too_fast",)]),
    ],
)
def test_tempo_is_not_judged_across_a_jump_to_another_body(name, shift_px, expected):
    wave = piecewise_wave([(2, 5), (0.01, 60), (0.3, 90), (0.1, 90), (0.3, 5), (1, 5)])
    session = ExerciseSession(load_spec("box_squat"))
    for t, k in wave:
        frame = side_view_squat_frame(t, k)
        if t > 2.0:  # the other person stands 600 px to the right
            frame = replace(frame, xy_px=frame.xy_px + np.array([shift_px, 0.0]))
        session.update(t, frame)
    result = session.finish()
    assert [r.faults for r in result.reps] == expected


def test_jump_detector():
    detector = JumpDetector()
    frame = side_view_squat_frame(0.0, 5.0)
    torso = float(np.linalg.norm(frame.xy("left_shoulder") - frame.xy("left_hip")))

    def moved(t_s: float, dx: float, fold: bool = False) -> bool:
        xy = frame.xy_px + np.array([dx, 0.0])
        if fold:  # a misread frame: the shoulders drawn onto the hips
            for s in ("left", "right"):
                xy[INDEX[f"{s}_shoulder"]] = xy[INDEX[f"{s}_hip"]] + 2.0
        return detector.update(t_s, replace(frame, t_s=t_s, xy_px=xy))

    assert not moved(0.0, 0.0)  # first frame: nothing to compare with
    assert not moved(1 / 30, 0.3 * torso)  # a fast real movement
    assert moved(2 / 30, 2.3 * torso)  # another body, 2 torsos away
    assert not moved(2 / 30 + 0.5, 0.0)  # half a second later: a gap, not a jump
    assert not moved(2 / 30 + 0.5 + 1 / 30, 0.5 * torso, fold=True)  # one folded torso


def _turned(frame: PoseFrame, deg: float, scale: float = 1.0) -> PoseFrame:
    """The same pose turned by ``deg`` in the image about its hip centre (and scaled)."""
    centre = hip_centre(frame.xy_px)
    a = math.radians(deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * scale
    return replace(frame, xy_px=(frame.xy_px - centre) @ rot.T + centre)


@pytest.mark.parametrize(
    ("fps", "turns", "gated"),
    [
        # scenario: lying down briskly, the trunk turning 300 deg a second: nothing gated
        (30, [10.0] * 9, []),
        # the same turn seen at 10 frames a second, 30 deg a frame
        (10, [30.0] * 3, []),
        # one frame of another pose, the trunk turned 96 deg, then back
        (30, [0.0, 0.0, 96.0, -96.0, 0.0], [2]),
        # a four-frame glitch: each of its frames is measured from the last trusted pose
        (30, [0.0, 96.0, 0.0, 0.0, 0.0, -96.0, 0.0], [1, 2, 3, 4]),
        # a pose that stays turned is followed after GLITCH_SETTLE_S (0.3 s at 30 fps: 9 frames)
        (30, [0.0, 90.0] + [0.0] * 11, list(range(1, 10))),
    ],
)
def test_glitch_gate(fps: int, turns: list[float], gated: list[int]) -> None:
    gate = GlitchGate()
    base = side_view_squat_frame(0.0, 5.0)
    angle, out = 0.0, []
    for i, step in enumerate([0.0, *turns]):
        angle += step
        t = i / fps
        if gate.update(t, _turned(replace(base, t_s=t), angle)):
            out.append(i - 1)
    assert out == gated


def test_glitch_gate_edge_cases() -> None:
    gate = GlitchGate()
    base = side_view_squat_frame(0.0, 5.0)
    assert not gate.update(0.0, base)
    # a trunk seen end-on (a fifth of its length): its direction means nothing, not compared
    assert not gate.update(1 / 30, _turned(base, 120.0, scale=0.2))
    # ... and it does not become the reference: a glitch after it is still one
    assert gate.update(2 / 30, _turned(base, 90.0))
    # after half a second with no pose the body may be anywhere, turned any way
    assert not gate.update(2 / 30 + 0.5, _turned(base, 90.0))
    assert not gate.update(2 / 30 + 0.5 + 1 / 30, _turned(base, 95.0))


def test_a_few_frames_of_another_pose_are_not_a_rep():
    # scenario: standing still; for 8 frames (0.27 s) the model's one pose jumps to a crouching
    # body whose trunk lies 90 deg turned (a second person beside the patient), then back.
    session = ExerciseSession(load_spec("box_squat"))
    for i in range(6 * 30):
        t = i / 30
        frame = side_view_squat_frame(t, 5.0)
        if 3.0 <= t < 3.27:
            frame = _turned(side_view_squat_frame(t, 100.0), 90.0)
        session.update(t, frame)
    assert session.finish().reps == []


def test_rushed_hinges_are_counted_and_flagged():
    # scenario: one calm hinge (3.5 s), then two rushed ones, down and up in 0.9 s with no pause:
    # every rep counts, and only the rushed ones are too fast (the sheet: "do not rush").
    calm = [(1.2, 90), (0.8, 90), (1.5, 0), (1.0, 0)]
    rushed = [(0.45, 90), (0.45, 0), (1.0, 0)]
    wave = piecewise_wave([(2, 0), *calm, *rushed, *rushed])
    session = ExerciseSession(load_spec("hip_hinge"))
    for t, lean in wave:
        session.update(t, side_view_squat_frame(t, 0.0, trunk_lean_deg=lean))
    result = session.finish()
    assert [r.faults for r in result.reps] == [(), ("too_fast",), ("too_fast",)]


def _squats_side_on() -> tuple[SessionResult, list]:
    wave = piecewise_wave([(2, 5)] + [(1.2, 100), (0.5, 100), (1.2, 5), (1.0, 5)] * 3)
    session = ExerciseSession(load_spec("box_squat"))
    states = [session.update(t, side_view_squat_frame(t, k)) for t, k in wave]
    return session.finish(), states


def test_a_rule_the_view_cannot_judge_is_reported_unchecked_not_passed():
    # scenario: three box squats filmed side-on. The knees are judged from the front only, so
    # they are not judged here, and the result says so instead of silently passing them.
    result, states = _squats_side_on()
    assert {s.view for s in states if s.assessable} == {"side"}
    assert len(result.reps) == 3
    assert result.rules_unchecked["knee_wobble"] == pytest.approx(1.0)
    during_reps = [s for s in states if s.phase in ("outward", "end", "return")]
    assert during_reps and all("knee_wobble" in s.unchecked_rules for s in during_reps)
    assert all(not s.unchecked_rules for s in states if s.phase == "start")
    data = to_dict(result, RunInfo("clip.mp4", 15.0, 1.0, "replay"))
    jsonschema.validate(data, result_schema())
    assert data["rules_not_checked"]["knee_wobble"] == 1.0


def test_a_rule_whose_signal_cannot_be_measured_is_reported_unchecked():
    # scenario: landmarks without the back's outline (a landmark file saved without the mask):
    # the back cannot be judged although the view allows it; reported, never passed silently.
    result, states = _squats_side_on()
    assert result.rules_unchecked["neutral_spine"] == pytest.approx(1.0)
    # The angle hint is for view reasons only; a signal that stays unmeasurable for a second
    # gets its own hint, so the person knows the back is not being checked.
    assert all("neutral_spine" not in s.unchecked_rules for s in states)
    in_reps = [s for s in states if s.phase in ("outward", "end", "return")]
    assert any(s.unmeasured_rules == ["neutral_spine"] for s in in_reps)
    assert not any(s.unmeasured_rules for s in states if s.phase == "start")
    picker = CuePicker(load_spec("box_squat"))
    texts = {c.text for s in in_reps for c in picker.candidates(s)}
    assert "Your back cannot be seen clearly enough to check." in " ".join(texts)


@pytest.mark.parametrize(
    ("view", "wrists_behind_torso", "measured"),
    [
        # half-turned, hands hanging in front of the trunk (a deadlift): the outline is the back
        ("diagonal", None, True),
        # half-turned, hands on a pipe behind the neck, 0.4 trunk lengths behind the trunk line:
        # the raised arms are in the back's outline, so it is not measured
        ("diagonal", 0.4, False),
        # hands just behind the line (a kettlebell held at the chest reads up to 0.16)
        ("diagonal", 0.15, True),
        # side-on, the same pipe: the arms lie beside the back, which is measured as usual
        ("side", 0.4, True),
    ],
)
def test_back_not_measured_half_turned_with_the_hands_behind_it(
    view: str, wrists_behind_torso: float | None, measured: bool
) -> None:
    frame = replace(
        side_view_squat_frame(0.0, 60.0, trunk_lean_deg=70.0), extras={"back_bend_deg": 4.0}
    )
    if wrists_behind_torso is not None:
        xy = frame.xy_px.copy()
        shoulder, hip = xy[INDEX["left_shoulder"]], xy[INDEX["left_hip"]]
        along = (hip - shoulder) / np.linalg.norm(hip - shoulder)
        back = np.array([-along[1], along[0]])  # facing right, the back is to the trunk's left
        torso = float(np.linalg.norm(hip - shoulder))
        for side in ("left", "right"):
            xy[INDEX[f"{side}_wrist"]] = (
                shoulder + 0.1 * torso * along + wrists_behind_torso * torso * back
            )
        frame = replace(frame, xy_px=xy)
    value = back_bend_deg(frame, SignalContext(view, "both"))  # type: ignore[arg-type]
    assert (value == 4.0) if measured else math.isnan(value)


def test_the_unchecked_hint_is_said_once_and_faults_outrank_it():
    _, states = _squats_side_on()
    picker = CuePicker(load_spec("box_squat"))
    shown = [picker.update(s) for s in states]
    # A cue is said when it appears; it then stays on screen while it applies.
    said = [c for prev, c in zip([None, *shown], shown, strict=False) if c and c != prev]
    hints = [c.text for c in said if "cannot be checked" in c.text]
    # Three reps within ~12 s: told once (at the first rep), not on every rep.
    assert len(hints) == 1
    assert "your knees" in hints[0]
    # A fault in progress is said first.
    state = replace(states[-1], active_faults=["knee_wobble"], unchecked_rules=["knee_wobble"])
    assert picker.candidates(state)[0].key == "knee_wobble"


def test_rushed_rep_gives_a_slow_down_cue():
    spec = load_spec("box_squat")
    _, states = _run_squats(TEMPO_SCENARIOS[1][1])
    picker = CuePicker(spec)
    cues = [c for s in states if (c := picker.update(s)) is not None]
    assert any(c.key == "too_fast" and "Slow down" in c.text for c in cues)


# -- range of motion and sides -------------------------------------------------------------


def test_hold_reports_median_range_and_short_stays():
    timer = HoldTimer(
        HoldSpec(signal="x", posture=[{"x": Band(min=85)}], min_hold_s=2.0, max_break_s=0.6)
    )
    holds: list[Hold] = []
    t = 0.0
    # a 1 s stay (an attempt), a break, then a 5 s hold whose range grows 90 -> 100
    for duration, ok in [(1.0, True), (1.0, False), (5.0, True), (1.0, False)]:
        for k in range(round(duration * FPS)):
            t += 1 / FPS
            rom = 90 + 10 * k / (duration * FPS) if ok else math.nan
            if (h := timer.update(t, ok, "left", rom)) is not None:
                holds.append(h)
    assert [round(h.duration_s) for h in holds] == [5]
    assert holds[0].rom == pytest.approx(95, abs=0.5)
    assert [round(h.duration_s, 1) for h in timer.short_holds] == [1.0]


def _result(holds: list[Hold], reps: list[RepEvent] = (), same_within: float = 5.0):
    return SessionResult(
        "hamstring_stretch_supine", list(reps), holds, [], 100, 100, 100, "side", "left",
        rom_signal="hip_flexion_deg", rom_better="higher", rom_same_within=same_within,
    )  # fmt: skip


SIDE_SCENARIOS = [
    # the right hamstring reaches 15 deg less: right is tighter
    ("right_tighter", [("left", 80), ("left", 84), ("right", 66), ("right", 68)], "right"),
    # the left reaches less
    ("left_tighter", [("left", 60), ("right", 75)], "left"),
    # 3 deg apart, inside landmark error (same_within 5): even
    ("even", [("left", 80), ("right", 77)], "even"),
    # only one side done: nothing to compare
    ("one_side_only", [("left", 80), ("left", 82)], None),
]


@pytest.mark.parametrize(
    ("name", "per_hold", "tighter"), SIDE_SCENARIOS, ids=[s[0] for s in SIDE_SCENARIOS]
)
def test_sides_are_compared(name, per_hold, tighter):
    holds = [
        Hold(i * 40.0, i * 40.0 + 30, 30.0, side, rom) for i, (side, rom) in enumerate(per_hold)
    ]
    data = to_dict(_result(holds), RunInfo("clip.mp4", 200.0, 1.0, "replay"))
    jsonschema.validate(data, result_schema())
    assert data["range_of_motion"]["tighter_side"] == tighter
    assert {h["side"] for h in data["holds"]} == set(data["sides"])
    assert data["holds"][0]["rom"] == per_hold[0][1]


def test_lower_is_better_for_the_butterfly():
    holds = [Hold(0, 30, 30, "left", 0.40), Hold(40, 70, 30, "right", 0.20)]
    result = _result(holds, same_within=0.05)
    result.rom_better = "lower"
    data = to_dict(result, RunInfo("clip.mp4", 80.0, 1.0, "replay"))
    assert data["range_of_motion"]["tighter_side"] == "left"


def test_rep_range_and_side_are_in_the_json():
    base = load_spec("box_squat")
    rom = {"signal": "knee_flexion_deg", "better": "higher", "label": "knee bend"}
    spec = type(base).model_validate(base.model_dump() | {"rom": rom})
    session = ExerciseSession(spec)
    for t, v in TEMPO_SCENARIOS[0][1]:
        session.update(t, side_view_squat_frame(t, v))
    data = to_dict(session.finish(), RunInfo("clip.mp4", 8.0, 1.0, "replay"))
    jsonschema.validate(data, result_schema())
    events = data["reps"]["events"]
    assert [e["rom"] for e in events] == pytest.approx([90, 90, 90], abs=3)
    assert {e["side"] for e in events} == {"left"}


# -- knee_wobble: the knee's offset from the hip-to-toes line, front view --------------------


def _front_legs(points: dict[str, tuple[float, float]]) -> PoseFrame:
    """A front-view frame with only the named image points set (hips at y 100, knees at 150,
    toes at 200; the midline at x 100)."""
    xy = np.full((NUM_LANDMARKS, 2), 100.0)
    for name, p in points.items():
        xy[INDEX[name]] = p
    return PoseFrame(0.0, xy, np.zeros((NUM_LANDMARKS, 3)), np.ones(NUM_LANDMARKS), (200, 250))


def _legs(left_knee_x: float, right_knee_x: float, toes_swapped: bool = False) -> dict:
    """Facing the camera: the left hip on the image's right (x 120), toes turned out to 140/60."""
    toes = {"left_foot_index": (140.0, 200.0), "right_foot_index": (60.0, 200.0)}
    if toes_swapped:
        toes = {"left_foot_index": (60.0, 200.0), "right_foot_index": (140.0, 200.0)}
    return {
        "left_hip": (120.0, 100.0),
        "right_hip": (80.0, 100.0),
        "left_knee": (left_knee_x, 150.0),
        "right_knee": (right_knee_x, 150.0),
        **toes,
    }


def _relabelled(points: dict, *parts: str) -> dict:
    """The model's left/right labels swapped for the named parts (``"hip"``, ``"knee"``...)."""
    out = dict(points)
    for part in parts:
        out[f"left_{part}"], out[f"right_{part}"] = points[f"right_{part}"], points[f"left_{part}"]
    return out


KNEE_SIGNAL_CASES = [
    # knees over the toes (on the hip-toes line, x 130 / 70 at the knees' height): 0
    ("tracking", _legs(130, 70), 0.0),
    # knees 20 px inside the line (thigh hypot(10, 50)): +20 / 51 thigh lengths
    ("caved_in", _legs(110, 90), 20 / math.hypot(10, 50)),
    # knees 10 px outside the line: negative
    ("pushed_out", _legs(140, 60), -10 / math.hypot(20, 50)),
    # scenario: knees caved in until they met, and the model swapped the feet's labels (rendered
    # 25 deg valgus): the line still runs to the foot on the hip's side, so it still reads in
    ("caved_in_feet_relabelled", _legs(110, 90, toes_swapped=True), 20 / math.hypot(10, 50)),
    # scenario: the knees' points passed each other (a rendered figure can; a person cannot):
    # each side takes the knee on its side of the image, 28 px inside the line
    ("knees_crossed", _legs(98, 102), 28 / math.hypot(18, 50)),
    # scenario: for one frame of a fast real squat the model swapped the hips' labels, or the
    # knees' and toes' together: good tracking still reads 0
    ("hips_relabelled", _relabelled(_legs(130, 70), "hip"), 0.0),
    ("legs_relabelled", _relabelled(_legs(130, 70), "knee", "foot_index"), 0.0),
    # facing away (every label mirrored): the same reading
    (
        "facing_away",
        _relabelled(_legs(110, 90), "hip", "knee", "foot_index"),
        20 / math.hypot(10, 50),
    ),
]


@pytest.mark.parametrize(
    ("name", "points", "expected"), KNEE_SIGNAL_CASES, ids=[c[0] for c in KNEE_SIGNAL_CASES]
)
def test_knee_valgus_thigh_cases(name, points, expected):
    value = knee_valgus_thigh(_front_legs(points), SignalContext("front", "both"))
    assert value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("name", "points", "view", "expected"),
    [
        # both knees caved in alike: each leg reads its own +20 / 51 thigh lengths
        ("both_in", _legs(110, 90), "front", (20 / math.hypot(10, 50), 20 / math.hypot(10, 50))),
        # only the left knee caves in, the right tracks over its toes: the legs differ
        ("left_in", _legs(110, 70), "front", (20 / math.hypot(10, 50), 0.0)),
        # the right knee pushed out 10 px: negative on that leg only
        ("right_out", _legs(130, 60), "front", (0.0, -10 / math.hypot(20, 50))),
        # scenario: side-on or half-turned the legs overlap in the image: left blank, not guessed
        ("side_on", _legs(110, 70), "side", (math.nan, math.nan)),
        ("half_turned", _legs(110, 70), "diagonal", (math.nan, math.nan)),
    ],
)
def test_knee_valgus_per_leg(name, points, view, expected):
    frame = _front_legs(points)
    ctx = SignalContext(view, "both")
    got = (left_knee_valgus_thigh(frame, ctx), right_knee_valgus_thigh(frame, ctx))
    assert got == pytest.approx(expected, abs=1e-9, nan_ok=True)
    if view == "front":  # the rule's signal is the worse of the two, with its sign
        assert knee_valgus_thigh(frame, ctx) == max(got, key=abs)


def test_knee_valgus_thigh_is_nan_without_the_toes():
    points = _legs(110, 90)
    points["left_foot_index"] = (math.nan, math.nan)
    points["right_foot_index"] = (math.nan, math.nan)
    assert math.isnan(knee_valgus_thigh(_front_legs(points), SignalContext("front", "both")))


def _fold_frame(t_s: float, trunk_lean_deg: float, far_hip_extra_deg: float) -> PoseFrame:
    """Side-on, legs straight, trunk folded forward; the far (right) leg is hidden behind the
    near one, as in a real side-on forward fold: low visibility and its knee guessed a little
    forward, so its hip reads ``far_hip_extra_deg`` more bent."""
    frame = side_view_squat_frame(t_s, 0.0, trunk_lean_deg=trunk_lean_deg, near="left")
    world = frame.world_xyz_m.copy()
    vis = frame.visibility.copy()
    hip, knee = world[INDEX["right_hip"]], world[INDEX["right_knee"]]
    turn = math.radians(far_hip_extra_deg)
    d = knee - hip  # rotate the thigh forward (+x; world y points down) about the hip
    turned = [
        d[0] * math.cos(turn) + d[1] * math.sin(turn),
        -d[0] * math.sin(turn) + d[1] * math.cos(turn),
        d[2],
    ]
    world[INDEX["right_knee"]] = hip + np.array(turned)
    for part in ("knee", "ankle", "heel", "foot_index"):
        vis[INDEX[f"right_{part}"]] = 0.1
    return replace(frame, world_xyz_m=world, visibility=vis)


PULLED_LEG_SCENARIOS = [
    # both hips bent alike (a two-leg fold, the hidden leg reading a little more): no leg
    ("fold_alike", 0.0, None),
    ("fold_hidden_leg_reads_8_deg_more", 8.0, None),
    # one hip bent far beyond the other (knee to chest, a foot up on a step): that leg
    ("right_leg_pulled", 60.0, "right"),
]


@pytest.mark.parametrize(
    ("name", "extra_deg", "side"), PULLED_LEG_SCENARIOS, ids=[s[0] for s in PULLED_LEG_SCENARIOS]
)
def test_pulled_leg_is_one_leg_bent_beyond_the_other(name, extra_deg, side):
    assert pulled_leg_side(_fold_frame(0.0, 120.0, extra_deg), "side") == side


def test_a_side_on_two_leg_fold_is_timed_on_the_leg_in_view():
    # Stand 1.5 s, fold forward (trunk 120 deg) for 6 s: the hidden far leg must not be the one
    # judged, or every folded frame is "cannot judge" and the hold is never timed.
    spec = load_spec("hamstring_stretch_standing")
    session = ExerciseSession(spec)
    states = []
    for t in np.arange(0.0, 7.5, 1 / 30):
        lean = 5.0 if t < 1.5 else 120.0
        states.append(session.update(float(t), _fold_frame(float(t), lean, 8.0)))
    folded = [s for s in states if s.t_s > 2.0]
    assert all(s.assessable and s.side == "left" for s in folded)
    [hold] = session.finish().holds
    assert hold.side == "left"
    assert hold.duration_s == pytest.approx(6.0, abs=0.5)


def _legs_frame(image_knee_deg: dict[str, float], world_knee_deg: dict[str, float]) -> PoseFrame:
    """Standing side-on with each knee bent by its own angle, separately in the image and in 3D
    (the 3D landmarks of a real side-on stance can disagree with the picture)."""
    frame = side_view_squat_frame(0.0, 0.0, near="left")
    xy, world = frame.xy_px.copy(), frame.world_xyz_m.copy()
    for side in ("left", "right"):
        for points, bend, flip in (
            (xy, image_knee_deg[side], -1.0),
            (world, world_knee_deg[side], 1.0),
        ):
            knee, ankle = points[INDEX[f"{side}_knee"]], points[INDEX[f"{side}_ankle"]]
            turn = math.radians(bend)  # swing the shin back about the knee
            d = ankle - knee
            rotated = d.copy()
            rotated[0] = d[0] * math.cos(turn) - flip * d[1] * math.sin(turn)
            rotated[1] = flip * d[0] * math.sin(turn) + d[1] * math.cos(turn)
            points[INDEX[f"{side}_ankle"]] = knee + rotated
    return replace(frame, xy_px=xy, world_xyz_m=world)


# A real wall calf stretch, left leg straight behind: the image read the knees 0-2 and 20-22 deg,
# the 3D landmarks 17-18 and 15-16 (the straight knee as the more bent one).
CALF_IMAGE_DEG = {"left": 1, "right": 21}
CALF_WORLD_DEG = {"left": 18, "right": 15}
STANDING_DEG = {"left": 12, "right": 20}
HEEL_TO_BUTTOCK_DEG = {"left": 12, "right": 150}

LEG_DETECTOR_SCENARIOS = [
    # side-on the image decides, as for the signals; other views use 3D
    ("calf_side_on", straight_leg_side, "side", CALF_IMAGE_DEG, CALF_WORLD_DEG, "left"),
    ("calf_front_uses_3d", straight_leg_side, "front", CALF_IMAGE_DEG, CALF_WORLD_DEG, "right"),
    # standing on both feet: no knee singled out for a quad stretch
    ("quad_standing", bent_knee_side, "side", STANDING_DEG, STANDING_DEG, None),
    (
        "quad_heel_to_buttock",
        bent_knee_side,
        "side",
        HEEL_TO_BUTTOCK_DEG,
        HEEL_TO_BUTTOCK_DEG,
        "right",
    ),
]


@pytest.mark.parametrize(
    ("name", "detector", "view", "image_deg", "world_deg", "side"),
    LEG_DETECTOR_SCENARIOS,
    ids=[s[0] for s in LEG_DETECTOR_SCENARIOS],
)
def test_leg_detectors_read_knees_as_the_signals_do(
    name, detector, view, image_deg, world_deg, side
):
    assert detector(_legs_frame(image_deg, world_deg), view) == side


def _standing(t: float) -> PoseFrame:
    return side_view_squat_frame(t, 0.0, trunk_lean_deg=0.0)


def _lying(frame: PoseFrame) -> PoseFrame:
    """The same body turned to lie along the floor: the image and 3D rotated 90 deg about the
    hips (head toward the right of the picture)."""

    def turn(points: np.ndarray, hip: np.ndarray) -> np.ndarray:
        d = points[:, :2] - hip[:2]
        out = points.copy()
        out[:, 0], out[:, 1] = hip[0] - d[:, 1], hip[1] + d[:, 0]
        return out

    hip_xy = (frame.xy("left_hip") + frame.xy("right_hip")) / 2
    return replace(
        frame,
        xy_px=turn(frame.xy_px, hip_xy),
        world_xyz_m=turn(frame.world_xyz_m, np.zeros(3)),
    )


HIP_HEIGHT_SCENARIOS = [
    # (name, frame, lowest, highest): standing and folding on straight legs read about 1
    ("standing", _standing(0.0), 0.95, 1.0),
    ("forward_fold", side_view_squat_frame(0.0, 0.0, trunk_lean_deg=120.0), 0.95, 1.0),
    # a deep squat: thigh and shin each 60 deg from vertical, hips at half the leg length
    ("deep_squat", side_view_squat_frame(0.0, 120.0), 0.45, 0.55),
    ("lying", _lying(_standing(0.0)), -0.05, 0.05),
]


@pytest.mark.parametrize(
    ("name", "frame", "lowest", "highest"),
    HIP_HEIGHT_SCENARIOS,
    ids=[s[0] for s in HIP_HEIGHT_SCENARIOS],
)
def test_hip_height_in_leg_lengths(name, frame, lowest, highest):
    for view in ("side", "front"):  # image side-on, 3D otherwise: the same body reads the same
        assert lowest <= hip_height_leg(frame, SignalContext(view, "both")) <= highest


def _settle_then(spec_id: str, first, then) -> SessionResult:  # type: ignore[no-untyped-def]
    """1.5 s of ``first(t)`` frames (the start position), then 8 s of ``then(t)``, at 30 fps."""
    session = ExerciseSession(load_spec(spec_id))
    for t in np.arange(0.0, 9.5, 1 / 30):
        session.update(float(t), first(float(t)) if t < 1.5 else then(float(t)))
    return session.finish()


def test_lying_down_is_not_timed_as_a_standing_stretch():
    # Stand, then lie on the floor: the trunk is as far from upright as in a deep forward fold,
    # but the hips are down at the feet, so no standing hamstring stretch is timed.
    result = _settle_then("hamstring_stretch_standing", _standing, lambda t: _lying(_standing(t)))
    assert result.holds == []
    assert "on_your_feet" in {f.rule for f in result.faults}


def test_standing_bent_over_is_not_timed_as_a_floor_stretch():
    # Lie, then stand folded forward (hips bent 120 deg, as a knee drawn to the chest): the hips
    # are a leg length above the feet, so no lying knee-to-chest hold is timed.
    result = _settle_then(
        "knee_to_chest_hold",
        lambda t: _lying(_standing(t)),
        lambda t: side_view_squat_frame(t, 0.0, trunk_lean_deg=120.0),
    )
    assert result.holds == []
    assert "on_the_floor" in {f.rule for f in result.faults}


def _split_stance(frame: PoseFrame, back_m: float) -> PoseFrame:
    """The right foot moved ``back_m`` metres behind the left (image and 3D), knee and hip kept."""
    xy, world = frame.xy_px.copy(), frame.world_xyz_m.copy()
    for part in ("ankle", "heel", "foot_index"):
        xy[INDEX[f"right_{part}"], 0] -= back_m * PX_PER_M
        world[INDEX[f"right_{part}"], 0] -= back_m
    return replace(frame, xy_px=xy, world_xyz_m=world)


SPLIT_SCENARIOS = [
    ("feet_side_by_side", 0.0, 0.0, 0.02),
    # a wall calf stretch: the back foot about 40 cm behind (real holds read 0.43-0.48)
    ("split_40cm", 0.4, 0.35, 0.5),
]


@pytest.mark.parametrize(
    ("name", "back_m", "lowest", "highest"), SPLIT_SCENARIOS, ids=[s[0] for s in SPLIT_SCENARIOS]
)
def test_stance_split_in_leg_lengths(name, back_m, lowest, highest):
    frame = _split_stance(side_view_squat_frame(0.0, 0.0, trunk_lean_deg=0.0), back_m)
    for view in ("side", "diagonal"):  # the image side-on, 3D along the feet otherwise
        assert lowest <= stance_split_leg(frame, SignalContext(view, "both")) <= highest


def test_leaning_forward_on_both_feet_is_not_a_calf_stretch():
    # Stand, then lean the trunk 40 deg forward on both feet (a hinge, a squat's lean): the body
    # leans as in a deep calf stretch, but no foot is behind, so it is not the stretch's posture
    # and nothing is timed; with one foot 40 cm back the same lean is timed.
    result = _settle_then(
        "calf_stretch_wall",
        _standing,
        lambda t: side_view_squat_frame(t, 0.0, trunk_lean_deg=40.0),
    )
    assert result.holds == []
    result = _settle_then(
        "calf_stretch_wall",
        _standing,
        lambda t: _split_stance(side_view_squat_frame(t, 0.0, trunk_lean_deg=5.0), 0.4),
    )
    assert len(result.holds) == 1
