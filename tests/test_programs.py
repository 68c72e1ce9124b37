"""Programs: every program loads, invalid ones fail with their reason, the runner walks through."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from formcheck.cli import main
from formcheck.landmarks import LandmarkSeries
from formcheck.programs import (
    Program,
    ProgramError,
    ProgramRunner,
    load_program_file,
    programs_dir,
)
from formcheck.specs.loader import load_all_specs, load_spec, specs_dir
from formcheck.specs.schema import ExerciseSpec
from tests.factories import edited_yaml_copy, piecewise_wave, side_view_squat_frame


def test_every_program_loads():
    files = sorted(programs_dir().glob("*.yaml"))
    assert files
    for f in files:
        program = load_program_file(f)
        assert 3 <= len(program.exercises) <= 4  # "3-4 mobility exercises" (sheet 003)


def _variant(tmp_path: Path, edit) -> Path:
    return edited_yaml_copy(programs_dir() / "low_back_starter.yaml", tmp_path, edit)


INVALID = [
    # a typo in a key is rejected
    ("unknown_key", lambda d: d["exercises"][0].update(repz=10), "exercises.0.repz: unknown key"),
    # an exercise that does not exist
    (
        "unknown_exercise",
        lambda d: d["exercises"][0].update(exercise="cartwheel"),
        "unknown exercise",
    ),
    # reps for a hold
    ("reps_for_hold", lambda d: d["exercises"][1].update(reps=5), "is a hold; give hold_s"),
    # a hold time for a reps exercise
    ("hold_for_reps", lambda d: d["exercises"][0].update(hold_s=5), "counts reps; give reps"),
    # overriding a rule the exercise does not have
    (
        "unknown_rule",
        lambda d: d["exercises"][1].update(rule_ok={"knee_wobble": {"max": 1}}),
        "has no such rule",
    ),
    # a band with min above max
    (
        "bad_band",
        lambda d: d["exercises"][1].update(rule_ok={"spine_upright": {"min": 40, "max": 10}}),
        "must be below max",
    ),
    # zero sets
    ("zero_sets", lambda d: d["exercises"][0].update(sets=0), "exercises.0.sets"),
    # the same exercise twice (a copy: the same object would be written as a YAML alias)
    ("duplicate", lambda d: d["exercises"].append({**d["exercises"][0]}), "exercise listed twice"),
    # a side for an exercise done with both legs together
    ("side_for_bilateral", lambda d: d["exercises"][3].update(sides="left"), "not done one side"),
]


@pytest.mark.parametrize(("name", "edit", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_programs_fail_with_their_reason(tmp_path, name, edit, message):
    with pytest.raises(ProgramError) as info:
        load_program_file(_variant(tmp_path, edit))
    assert message in str(info.value)
    assert "low_back_starter.yaml" in str(info.value)


def test_validate_specs_checks_programs_too(tmp_path, capsys):
    folder = tmp_path / "programs"
    folder.mkdir()
    bad = _variant(tmp_path, lambda d: d["exercises"][0].update(exercise="cartwheel"))
    bad.rename(folder / bad.name)
    assert main(["validate-specs", "--programs", str(folder)]) == 2
    assert "unknown exercise 'cartwheel'" in capsys.readouterr().err
    assert main(["validate-specs"]) == 0


# -- the runner on synthetic people ---------------------------------------------------------


def _specs() -> dict[str, ExerciseSpec]:
    """The box squat, and a two-sided 'hold a squat' stretch built from it."""
    squat = load_spec("box_squat")
    data = squat.model_dump(exclude_none=True) | {
        "id": "squat_hold",
        "kind": "hold",
        "sides": "both",
        "side_detector": "crossed_leg",
        "hold": {
            "signal": "knee_flexion_deg",
            "posture": [{"knee_flexion_deg": {"min": 60}}],
            "min_hold_s": 1.0,
        },
        "prescription": {"hold_s": 3, "repeats": 2, "both_sides": True, "rest_s": 2},
        "rules": [],
    }
    data.pop("reps")
    return {"box_squat": squat, "squat_hold": ExerciseSpec.model_validate(data)}


PROGRAM = Program.model_validate(
    {
        "id": "demo",
        "title": "Demo",
        "summary": "Squats, then held squats on both sides.",
        "exercises": [
            {"exercise": "box_squat", "sets": 2, "reps": 2, "rest_s": 3},
            {"exercise": "squat_hold", "sets": 2, "hold_s": 3, "sides": "both", "rest_s": 2},
        ],
    }
)

# Two squats, stand 1 s; repeated as long as needed.
SQUATS = piecewise_wave([(1, 5)] + [(1, 90), (0.5, 90), (1, 5), (0.5, 5)] * 2 + [(1, 5)])
# Stand, sink into a 4 s held squat, stand up again.
HELD = piecewise_wave([(1, 5), (0.7, 90), (4, 90), (0.7, 5), (1, 5)])


def test_runner_counts_sets_rests_switches_sides_and_moves_on():
    runner = ProgramRunner(PROGRAM, _specs())
    t = 0.0
    log = []

    def feed(wave):
        nonlocal t
        start = t
        for dt, v in wave:
            t = start + dt
            state = runner.update(t, side_view_squat_frame(t, v))
            log.append(state)
        return state

    feed(SQUATS)
    state = feed(piecewise_wave([(0.5, 5)]))
    # Set 1 done (2 reps): resting 3 s before set 2, frames not analysed.
    assert len(runner.blocks) == 1 and runner.blocks[0].reps_done == 2
    assert state.resting and state.frame is None and state.set_index == 2
    feed(piecewise_wave([(3, 5)]))  # rest over
    feed(SQUATS)
    assert [b.set_index for b in runner.blocks] == [1, 2]
    assert runner.exercise_index == 1
    feed(piecewise_wave([(3.5, 5)]))  # rest over; on to the holds
    sides = []
    for _ in range(4):
        state = feed(HELD)
        sides.append(runner.blocks[-1].side)
        feed(piecewise_wave([(2.5, 5)]))
    # Two holds per side, sides taking turns, each at least the 3 s target.
    assert [(b.set_index, b.side) for b in runner.blocks[2:]] == [
        (1, "left"), (1, "right"), (2, "left"), (2, "right"),
    ]  # fmt: skip
    assert all(b.completed for b in runner.blocks)
    assert all(b.best_hold_s >= 3.0 for b in runner.blocks[2:])
    assert runner.finished and runner.update(t + 1, None).finished
    # A hold past its target tells the person to let go.
    assert any(s.target_reached for s in log)
    summary = runner.summary()
    assert [e["completed"] for e in summary["exercises"]] == [True, True]


def test_rest_is_timed_on_frame_timestamps():
    runner = ProgramRunner(PROGRAM, _specs())
    for t, v in SQUATS:
        runner.update(t, side_view_squat_frame(t, v))
    end = runner.blocks[0].ended_s
    assert runner.update(end + 2.9, None).resting
    assert not runner.update(end + 3.1, None).resting


def test_skip_exercise_records_unfinished_blocks():
    runner = ProgramRunner(PROGRAM, _specs())
    for t, v in piecewise_wave([(1, 5), (1, 90), (0.5, 90), (1, 5), (0.5, 5)]):
        runner.update(t, side_view_squat_frame(t, v))
    closed = runner.skip_exercise()
    assert [(b.set_index, b.completed, b.reps_done) for b in closed] == [
        (1, False, 1),
        (2, False, 0),
    ]
    assert runner.exercise_index == 1


def test_patient_rule_band_replaces_the_default():
    specs = load_all_specs()
    program = load_program_file(programs_dir() / "low_back_starter.yaml", specs)
    runner = ProgramRunner(program, specs)
    hip = next(p for p in runner.plan if p.spec.id == "hip_flexor_kneeling_stretch")
    rule = next(r for r in hip.spec.rules if r.id == "spine_upright")
    assert rule.ok.max == 40  # the file loosens it from the spec's 30
    assert next(p for p in runner.plan if p.rom_target is not None).rom_target == 80


def test_program_command_runs_end_to_end(tmp_path, capsys):
    frames = [side_view_squat_frame(t, v) for t, v in SQUATS]
    series = LandmarkSeries.from_frames([t for t, _ in SQUATS], frames, (800, 1000), "x")
    path = tmp_path / "squats.npz"
    series.save(path)
    prog = tmp_path / "squats_only.yaml"
    prog.write_text(
        yaml.safe_dump(
            {
                "id": "squats_only",
                "title": "Squats",
                "summary": "Two sets of two squats.",
                "exercises": [{"exercise": "box_squat", "sets": 2, "reps": 2}],
            }
        )
    )
    out = tmp_path / "result.json"
    assert main(["program", str(prog), str(path), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "set 1" in text and "2 reps" in text and "not finished" in text
    assert main(["program", str(prog), str(path), str(path)]) == 2


@pytest.mark.parametrize(
    ("program_exercise", "code", "said"),
    [
        # scenario: another spec in the folder is broken: a box-squat program still runs
        ("box_squat", 0, "set 1"),
        # scenario: the program names the broken spec: one line naming it, exit 2
        ("broken", 2, "the spec 'broken' is itself invalid"),
    ],
)
def test_program_command_is_stopped_only_by_a_broken_spec_it_names(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    program_exercise: str,
    code: int,
    said: str,
) -> None:
    folder = tmp_path / "specs"
    shutil.copytree(specs_dir(), folder)
    (folder / "broken.yaml").write_text("id: broken\nkind: reps\nsurprise: 1\n")
    monkeypatch.setenv("FORMCHECK_SPECS_DIR", str(folder))
    frames = [side_view_squat_frame(t, v) for t, v in SQUATS]
    series = LandmarkSeries.from_frames([t for t, _ in SQUATS], frames, (800, 1000), "x")
    series.save(tmp_path / "squats.npz")
    prog = tmp_path / "program.yaml"
    prog.write_text(
        yaml.safe_dump(
            {
                "id": "program",
                "title": "One exercise",
                "summary": "One set of two reps.",
                "exercises": [{"exercise": program_exercise, "sets": 1, "reps": 2}],
            }
        )
    )
    assert main(["program", str(prog), str(tmp_path / "squats.npz")]) == code
    out = capsys.readouterr()
    assert said in (out.out if code == 0 else out.err)
