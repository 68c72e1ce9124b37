"""The committed sample set, the magnitude sweeps and the larger generated set (rendered on
demand for the slow test), each clip fixed by its seed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tools.synth.clip import ClipSpec, render_clip

SAMPLES: tuple[ClipSpec, ...] = (
    ClipSpec("hip_hinge_side_clean", "hip_hinge", "side", 11),
    ClipSpec("hip_hinge_side_rounded_60", "hip_hinge", "side", 12, "rounded_back", 60.0),
    ClipSpec("hip_hinge_side_too_fast_0.8", "hip_hinge", "side", 13, "too_fast", 0.8),
    ClipSpec("box_squat_side_clean", "box_squat", "side", 21),
    ClipSpec("box_squat_front_clean", "box_squat", "front", 22),
    ClipSpec("box_squat_front_valgus_20", "box_squat", "front", 23, "knee_valgus", 20.0),
    ClipSpec("glute_bridge_side_clean", "glute_bridge", "side", 31),
    ClipSpec("clamshell_front_left_clean", "clamshell", "front", 41, options={"down_side": "left"}),
    ClipSpec(
        "clamshell_front_right_rollback_40",
        "clamshell",
        "front",
        42,
        "hips_roll_back",
        40.0,
        options={"down_side": "right"},
    ),
    ClipSpec("figure_four_side_clean", "supine_figure_four_stretch", "side", 51),
    ClipSpec(
        "figure_four_side_pelvis_lift_15cm",
        "supine_figure_four_stretch",
        "side",
        52,
        "pelvis_lift",
        15.0,
    ),
    ClipSpec(
        "figure_four_side_pelvis_twist_35",
        "supine_figure_four_stretch",
        "side",
        53,
        "pelvis_twist",
        35.0,
    ),
    ClipSpec("hip_flexor_kneeling_side_clean", "hip_flexor_kneeling_stretch", "side", 61),
    # 10 deg, clearly above where no_bouncing starts firing (6 deg in the sweep); 6 deg sat on
    # the threshold and was found on one hold in two.
    ClipSpec(
        "hip_flexor_kneeling_side_bouncing_10",
        "hip_flexor_kneeling_stretch",
        "side",
        62,
        "bouncing",
        10.0,
    ),
    ClipSpec("childs_pose_side_clean", "childs_pose", "side", 71),
    # Diagonal views (camera 45 deg round from the side, or for side-lying from in front toward
    # the feet) and the seated stretch.
    ClipSpec("hip_hinge_diagonal_clean", "hip_hinge", "diagonal", 14),
    ClipSpec(
        "clamshell_diagonal_left_clean", "clamshell", "diagonal", 43, options={"down_side": "left"}
    ),
    ClipSpec("seated_figure_four_diagonal_clean", "seated_figure_four_stretch", "diagonal", 81),
    ClipSpec(
        "seated_figure_four_diagonal_bouncing_8",
        "seated_figure_four_stretch",
        "diagonal",
        82,
        "bouncing",
        8.0,
    ),
)

# fault -> (exercise, view, magnitudes to try)
SWEEPS: dict[str, tuple[str, str, tuple[float, ...]]] = {
    "rounded_back": ("hip_hinge", "side", (0.0, 30.0, 60.0, 90.0, 120.0)),
    # Realistic sizes: in this rig the knees touch in the image at about 10 deg.
    "knee_valgus": ("box_squat", "front", (0.0, 5.0, 8.0, 10.0, 12.0, 15.0)),
    "hips_roll_back": ("clamshell", "front", (0.0, 20.0, 30.0, 40.0, 55.0)),
    "pelvis_lift": ("supine_figure_four_stretch", "side", (0.0, 5.0, 10.0, 15.0, 25.0)),
    "pelvis_twist": ("supine_figure_four_stretch", "side", (0.0, 20.0, 35.0, 50.0)),
    "bouncing": ("hip_flexor_kneeling_stretch", "side", (0.0, 2.0, 4.0, 6.0, 10.0)),
    "too_fast": ("hip_hinge", "side", (1.6, 1.2, 0.9, 0.7)),
}


# The generated set: every script clean in two or three views, and every fault kind at a
# magnitude clearly past where its rule fires (docs/SYNTH.md, sweeps), in the views its check
# needs. (exercise, view, fault, magnitude, script options); seeds are given in this order.
GENERATED_SEED = 2000
_GENERATED: tuple[tuple[str, str, str | None, float, dict[str, Any]], ...] = (
    ("hip_hinge", "side", None, 0.0, {}),
    ("hip_hinge", "diagonal", None, 0.0, {}),
    ("box_squat", "side", None, 0.0, {}),
    ("box_squat", "front", None, 0.0, {}),
    ("glute_bridge", "side", None, 0.0, {}),
    ("glute_bridge", "diagonal", None, 0.0, {}),
    ("clamshell", "front", None, 0.0, {"down_side": "left"}),
    ("clamshell", "diagonal", None, 0.0, {"down_side": "right"}),
    ("supine_figure_four_stretch", "side", None, 0.0, {}),
    ("supine_figure_four_stretch", "diagonal", None, 0.0, {}),
    ("hip_flexor_kneeling_stretch", "side", None, 0.0, {}),
    ("hip_flexor_kneeling_stretch", "diagonal", None, 0.0, {}),
    ("childs_pose", "side", None, 0.0, {}),
    ("childs_pose", "diagonal", None, 0.0, {}),
    ("seated_figure_four_stretch", "side", None, 0.0, {}),
    ("seated_figure_four_stretch", "diagonal", None, 0.0, {}),
    ("seated_figure_four_stretch", "front", None, 0.0, {}),
    # neutral_spine: found 2/2 from 60 deg of total spinal flexion in the side-view sweep.
    ("hip_hinge", "side", "rounded_back", 100.0, {}),
    ("hip_hinge", "side", "rounded_back", 100.0, {}),
    # too_fast: reps (down and up) under the spec's min_rep_s 1.0 s.
    ("hip_hinge", "side", "too_fast", 0.8, {}),
    ("hip_hinge", "side", "too_fast", 0.8, {}),
    # knee_wobble: every faulty rep from 12 deg in a realistic sweep (3 seeds each at 5, 8, 10,
    # 12, 15 deg); 10 deg 4/6 reps. In this rig the knees touch in the image at about 10 deg.
    ("box_squat", "front", "knee_valgus", 15.0, {}),
    ("box_squat", "front", "knee_valgus", 15.0, {}),
    # hips_stacked: 35 deg, or 12 deg more than at the start (true reading: roll + 5). Past
    # ~45 deg the rolled knee opens away from the camera: at 60 the true image opening peaks at
    # 15-22 deg, under the 18 deg rep band, so the truth's reps would not be reps by the spec.
    ("clamshell", "front", "hips_roll_back", 40.0, {"down_side": "left"}),
    ("clamshell", "front", "hips_roll_back", 40.0, {"down_side": "right"}),
    # pelvis_down: 10 deg of 2D hip lift, about 9 cm.
    ("supine_figure_four_stretch", "side", "pelvis_lift", 20.0, {}),
    ("supine_figure_four_stretch", "side", "pelvis_lift", 20.0, {}),
    # A twist is not judged (spec): no landmark signal followed it on every hold, side-on or
    # half-turned. Rendered side-on, the view the spec accepts, it measures that gap.
    ("supine_figure_four_stretch", "side", "pelvis_twist", 50.0, {}),
    # no_bouncing: 6 deg reversals, 3 within 4 s; 8 deg either way is a 16 deg swing.
    ("hip_flexor_kneeling_stretch", "side", "bouncing", 8.0, {}),
    ("childs_pose", "side", "bouncing", 8.0, {}),
    ("seated_figure_four_stretch", "side", "bouncing", 8.0, {}),
    ("seated_figure_four_stretch", "diagonal", "bouncing", 8.0, {}),
    ("side_lying_leg_abduction", "front", None, 0.0, {"down_side": "left"}),
    ("side_lying_leg_abduction", "diagonal", None, 0.0, {"down_side": "right"}),
)


def generated_specs() -> list[ClipSpec]:
    """The generated set (seeds from :data:`GENERATED_SEED` up, fixed): 34 clips."""
    specs = []
    for i, (exercise, view, fault, magnitude, options) in enumerate(_GENERATED):
        seed = GENERATED_SEED + i
        what = f"{fault}_{magnitude:g}" if fault else "clean"
        specs.append(
            ClipSpec(
                f"gen_{seed}_{exercise}_{view}_{what}",
                exercise,
                view,
                seed,
                fault,
                magnitude,
                options=dict(options),
            )
        )
    return specs


# Side-lying exercises filmed from each place a laptop on the floor may stand: in front, at a
# slant toward the feet or the head, at the feet end (the side-lying "side" view) and at the head
# end, looking along the body (tests/test_side_lying_views.py). Seeds from 3500, fixed.
SIDE_LYING_VIEWS: tuple[ClipSpec, ...] = tuple(
    ClipSpec(
        f"{exercise}_{placement}_{down_side}",
        exercise,
        placement,
        3500 + i,
        options={"down_side": down_side},
    )
    for i, (exercise, placement, down_side) in enumerate(
        (
            ("side_lying_leg_abduction", "front", "left"),
            ("side_lying_leg_abduction", "diagonal", "right"),
            ("side_lying_leg_abduction", "side", "left"),
            ("side_lying_leg_abduction", "side", "right"),
            ("side_lying_leg_abduction", "head_diagonal", "left"),
            ("side_lying_leg_abduction", "head_diagonal", "right"),
            ("side_lying_leg_abduction", "head", "left"),
            ("side_lying_leg_abduction", "head", "right"),
            ("clamshell", "head_diagonal", "left"),
            ("clamshell", "head_diagonal", "right"),
            ("clamshell", "head", "left"),
        )
    )
)


# The views set (tests/test_views.py): glute bridges side-on, half-turned toward the feet and from
# the feet end, and each standing stretch framed with the head out of the picture, side-on,
# half-turned and from the front.
VIEW_BRIDGE_SEEDS = {"side": (7001, 7002), "diagonal": (7001, 7002), "front": (7001,)}
STANDING_STRETCHES = (
    "quad_stretch_standing",
    "hamstring_stretch_standing",
    "hip_flexor_standing_stretch",
    "calf_stretch_wall",
)
HEAD_OUT_SEED = 8100


def views_specs() -> list[ClipSpec]:
    """The views set: 5 bridges, then 12 standing stretches with the head out of the picture
    (``<exercise>_<view>_head_out``)."""
    bridges = [
        ClipSpec(f"bridge_{view}_{seed}", "glute_bridge", view, seed)
        for view, seeds in VIEW_BRIDGE_SEEDS.items()
        for seed in seeds
    ]
    head_out = [
        ClipSpec(
            f"{exercise}_{view}_head_out",
            exercise,
            view,
            HEAD_OUT_SEED + 10 * i + j,
            options={"head_in_frame": False},
        )
        for i, exercise in enumerate(STANDING_STRETCHES)
        for j, view in enumerate(("side", "diagonal", "front"))
    ]
    return bridges + head_out


def render_specs(specs: list[ClipSpec], out_dir: Path) -> list[Path]:
    """Render clips and their truth files into ``out_dir``; returns the written files."""
    written: list[Path] = []
    for spec in specs:
        written.extend(render_clip(spec, out_dir))
    return written


def regenerate(out_dir: Path, names: list[str] | None = None) -> list[Path]:
    """Render the sample clips (all, or those named) into ``out_dir``; returns written files."""
    return render_specs([s for s in SAMPLES if not names or s.name in names], out_dir)


def sweep_specs(fault: str, seed: int = 900) -> list[ClipSpec]:
    exercise, view, mags = SWEEPS[fault]
    return [
        ClipSpec(f"sweep_{fault}_{m:g}", exercise, view, seed + i, fault, m)
        for i, m in enumerate(mags)
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
