"""Every spec loads; invalid specs fail with file, key and reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from formcheck.specs.loader import SpecError, load_all_specs, load_spec, load_spec_file, specs_dir
from tests.factories import edited_yaml_copy

CORE_IDS = {
    "hip_hinge",
    "box_squat",
    "clamshell",
    "supine_piriformis_stretch",
    "supine_figure_four_stretch",
    "glute_bridge",
}


SHEET_IDS = {
    "side_lying_leg_abduction",
    "knee_to_chest",
    "knee_to_chest_hold",
    "seated_figure_four_stretch",
    "pigeon_stretch",
    "childs_pose",
    "hip_flexor_kneeling_stretch",
    "hip_flexor_standing_stretch",
    "quad_stretch_standing",
    "quad_stretch_prone",
    "hamstring_stretch_supine",
    "hamstring_stretch_standing",
    "calf_stretch_wall",
    "seated_butterfly",
    "transverse_abdominis",
    "quad_self_massage",
    "low_back_roll_out",
    "low_back_stretch_step2",
    "low_back_exercise_step3",
}


def test_every_sheet_exercise_has_a_spec():
    specs = load_all_specs()
    assert set(specs) >= SHEET_IDS
    # Exercises the camera cannot judge are guided timers that say why.
    for sid in ("transverse_abdominis", "quad_self_massage", "low_back_roll_out"):
        assert specs[sid].guided and specs[sid].hold and specs[sid].hold.guided_reason
    # Title-only items from sheet 000 say what they were mapped to.
    for sid in ("quad_self_massage", "low_back_roll_out", "low_back_stretch_step2"):
        assert specs[sid].source is not None and specs[sid].source.sheet == "000"
    # based_on copies the base's checks.
    step2, base = specs["low_back_stretch_step2"], specs["knee_to_chest_hold"]
    assert step2.hold == base.hold and step2.rules == base.rules and step2.title != base.title


def test_every_stretch_checks_bouncing():
    for spec in load_all_specs().values():
        if (
            spec.kind == "hold"
            and not spec.guided
            and spec.id.startswith(
                ("hip_flexor", "quad_stretch", "hamstring", "calf", "childs", "pigeon", "seated_")
            )
        ):
            assert "no_bouncing" in {r.id for r in spec.rules}, spec.id


def test_every_spec_loads():
    specs = load_all_specs()
    assert set(specs) >= CORE_IDS
    for spec in specs.values():
        assert spec.title and spec.how_to and spec.camera.setup


def test_core_rule_ids_are_stable():
    rules = {sid: {r.id for r in s.rules} for sid, s in load_all_specs().items()}
    assert "neutral_spine" in rules["hip_hinge"]
    assert {"knee_wobble", "neutral_spine", "depth"} <= rules["box_squat"]
    assert {"hips_stacked", "feet_together"} <= rules["clamshell"]
    assert "pelvis_down" in rules["supine_piriformis_stretch"]
    assert "pelvis_down" in rules["supine_figure_four_stretch"]


def _write_variant(tmp_path: Path, edit) -> Path:
    return edited_yaml_copy(specs_dir() / "box_squat.yaml", tmp_path, edit)


def _set(path: list[str], value):
    def edit(data):
        node = data
        for key in path[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[path[-1]] = value

    return edit


INVALID = [
    # a typo in a key is rejected, not ignored
    (
        "unknown_key",
        _set(["reps", "min_phase_seconds"], 0.2),
        "reps.min_phase_seconds: unknown key",
    ),
    # overlapping bands leave no hysteresis
    ("bands_touch", _set(["reps", "end"], {"min": 0.03}), "rep bands must be separated"),
    # a rule id that is not snake_case
    ("rule_id_case", lambda d: d["rules"][0].update(id="KneeWobble"), "must be snake_case"),
    # a signal the catalogue does not know
    (
        "unknown_signal",
        lambda d: d.update(signals=[*d["signals"], "elbow_magic_deg"]),
        "unknown signal(s) elbow_magic_deg",
    ),
    # a rule that uses a signal not declared under signals
    (
        "undeclared_signal",
        _set(["rules", "0", "signal"], "hip_flexion_deg"),
        "not listed under 'signals'",
    ),
    # a view that does not exist
    ("bad_view", _set(["camera", "views"], ["top"]), "camera.views.0"),
    # a reps exercise without a reps section
    ("missing_reps", lambda d: d.pop("reps"), "kind 'reps' needs a 'reps' section"),
    # a negative persistence time
    ("negative_time", _set(["rules", "0", "min_persist_s"], -1), "rules.0.min_persist_s"),
    # a steady (bounce/stillness) rule without its window and swing
    ("steady_without_params", _set(["rules", "0", "check"], "steady"), "needs a 'steady' section"),
    # steady parameters on a rule that does not use them
    (
        "steady_params_on_throughout",
        _set(["rules", "0", "steady"], {"window_s": 4, "swing": 5}),
        "only for rules with check 'steady'",
    ),
    # the tempo fault id is the engine's own
    ("reserved_rule_id", lambda d: d["rules"][0].update(id="too_fast"), "reserved for the tempo"),
    # a guided timer must say what the camera cannot see
    (
        "guided_without_reason",
        lambda d: d.update(
            kind="hold",
            hold={
                "signal": "knee_flexion_deg",
                "posture": [{"knee_flexion_deg": {"min": 60}}],
                "mode": "guided",
            },
        ),
        "needs a 'guided_reason'",
    ),
    # a range-of-motion signal that is not declared
    (
        "rom_undeclared",
        lambda d: d.update(rom={"signal": "hip_flexion_deg", "better": "higher", "label": "hip"}),
        "not listed under 'signals'",
    ),
    # a rule judged in fewer views than the exercise must say what a view leaves unchecked
    (
        "partial_views_without_checks",
        lambda d: d["rules"][0].pop("checks"),
        "need 'checks': knee_wobble",
    ),
    # based_on names a spec that does not exist
    ("based_on_unknown", lambda d: d.update(based_on="no_such_spec"), "based_on: no spec"),
    # a rep counted from the resting level cannot begin at its end (no rest seen yet)
    (
        "from_rest_with_end_position",
        _set(["reps", "from_rest"], True),
        "cannot begin in an end position",
    ),
    # back_share only means something from a resting level
    ("back_share_without_from_rest", _set(["reps", "back_share"], 0.6), "only for reps counted"),
]


@pytest.mark.parametrize(("name", "edit", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_specs_fail_with_their_reason(tmp_path, name, edit, message):
    path = _write_variant(tmp_path, edit)
    with pytest.raises(SpecError) as info:
        load_spec_file(path)
    assert message in str(info.value)
    assert "box_squat.yaml" in str(info.value)


def test_not_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent("id: [unclosed\n"))
    with pytest.raises(SpecError, match=r"broken\.yaml: not valid YAML"):
        load_spec_file(path)


def test_unknown_exercise_lists_known_ids():
    with pytest.raises(SpecError, match=r"unknown exercise 'jumping_jack'.*box_squat"):
        load_spec("jumping_jack")
