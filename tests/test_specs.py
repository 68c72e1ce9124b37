"""Every spec loads; invalid specs fail with file, key and reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from formcheck.specs.loader import SpecError, load_all_specs, load_spec, load_spec_file, specs_dir

CORE_IDS = {
    "hip_hinge",
    "box_squat",
    "clamshell",
    "supine_piriformis_stretch",
    "supine_figure_four_stretch",
    "glute_bridge",
}


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
    data = yaml.safe_load((specs_dir() / "box_squat.yaml").read_text())
    edit(data)
    path = tmp_path / "box_squat.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


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
    ("bands_touch", _set(["reps", "end"], {"min": 20}), "rep bands must be separated"),
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
