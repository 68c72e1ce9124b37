"""Input limits: specs, programs, landmark files and videos outside the bounds fail with one
sentence of their module's own exception type, naming the file and the bound; random files never
raise anything else."""

from __future__ import annotations

import io
import math
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from formcheck.cli import main
from formcheck.landmarks import (
    LANDMARK_NAMES,
    MAX_LANDMARK_FILE_BYTES,
    MAX_LANDMARK_FRAMES,
    NUM_LANDMARKS,
    LandmarkSeries,
)
from formcheck.programs import ProgramError, load_program_file
from formcheck.source import video
from formcheck.source.video import VideoError, iter_frames, probe
from formcheck.specs.loader import SpecError, load_all_specs, load_spec_file, specs_dir
from tests.factories import edited_yaml_copy
from tests.support.goldens import LANDMARKS_DIR
from tests.support.inputs import PROGRAM, alias_pair, mjpeg_clip
from tests.support.paths import LANDMARKS_CACHE

SQUAT = specs_dir() / "box_squat.yaml"
SPECS = load_all_specs()

Builder = Callable[[Path], Path]


# -- file builders ---------------------------------------------------------------------------


def _text(name: str, text: str) -> Builder:
    def build(folder: Path) -> Path:
        (folder / name).write_text(text, encoding="utf-8")
        return folder / name

    return build


def _raw(name: str, data: bytes) -> Builder:
    def build(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return build


def _spec_edit(edit: Callable[[Any], None]) -> Builder:
    return lambda folder: edited_yaml_copy(SQUAT, folder, edit)


def _program_edit(edit: Callable[[Any], None]) -> Builder:
    return lambda folder: edited_yaml_copy(PROGRAM, folder, edit)


def _files(files: dict[str, str], load: str) -> Builder:
    def build(folder: Path) -> Path:
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder / load

    return build


def _chain(length: int) -> dict[str, str]:
    """``length`` specs, each based on the next."""
    return {f"c{i}.yaml": f"id: c{i}\nbased_on: c{i + 1}\n" for i in range(length)}


def _squat_text() -> str:
    return SQUAT.read_text(encoding="utf-8")


def _fields(frames: int = 4) -> dict[str, np.ndarray]:
    """The arrays of a valid version-2 landmark file."""
    rng = np.random.default_rng(0)
    return {
        "format_version": np.array(2),
        "t_s": np.arange(frames) * 0.1,
        "xy_px": rng.uniform(0, 480, (frames, NUM_LANDMARKS, 2)),
        "world_xyz_m": rng.normal(0, 0.3, (frames, NUM_LANDMARKS, 3)),
        "visibility": rng.uniform(0, 1, (frames, NUM_LANDMARKS)),
        "image_wh": np.array((640, 480)),
        "landmark_names": np.array(LANDMARK_NAMES),
        "source": np.array("clip.mp4"),
        "extra_names": np.array(["back_bow"]),
        "extra_values": rng.normal(0, 0.05, (1, frames)),
    }


def _npz(edit: Callable[[dict[str, np.ndarray]], None]) -> Builder:
    def build(folder: Path) -> Path:
        fields = _fields()
        edit(fields)
        np.savez_compressed(folder / "clip.npz", **fields)
        return folder / "clip.npz"

    return build


def _set(key: str, value: Any) -> Builder:
    """A valid file with the array ``key`` replaced."""
    return _npz(lambda f: f.__setitem__(key, np.asarray(value)))


def _poke(key: str, index: tuple[int, ...], value: float) -> Builder:
    """A valid file with one value of the array ``key`` changed."""

    def edit(f: dict[str, np.ndarray]) -> None:
        f[key][index] = value

    return _npz(edit)


def _declared(member: str, shape: tuple[int, ...]) -> Builder:
    """A valid file whose ``member`` header declares ``shape``, with no data behind it."""

    def build(folder: Path) -> Path:
        path = folder / "clip.npz"
        fields = _fields()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, array in fields.items():
                out = io.BytesIO()
                if name == member:
                    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
                    np.lib.format.write_array_header_1_0(out, header)
                else:
                    np.save(out, array)
                zf.writestr(f"{name}.npy", out.getvalue())
        return path

    return build


def _sparse(size: int) -> Builder:
    """A file of ``size`` bytes that takes no disk space."""

    def build(folder: Path) -> Path:
        path = folder / "clip.npz"
        with path.open("wb") as f:
            f.truncate(size)
        return path

    return build


def _npy(folder: Path) -> Path:
    path = folder / "clip.npz"
    with path.open("wb") as f:
        np.save(f, np.zeros(3))
    return path


# -- the bad-input table ---------------------------------------------------------------------

LOADERS: dict[type[Exception], Callable[[Path], object]] = {
    SpecError: load_spec_file,
    ProgramError: lambda p: load_program_file(p, SPECS),
    ValueError: LandmarkSeries.load,
}

BAD_FILES = [
    # -- specs --
    # a spec padded past the 256 KB bound (the 10 MB spec parsed for over 300 s)
    (
        "spec_too_large",
        _text("box_squat.yaml", "# padding\n" * 30_000 + _squat_text()),
        SpecError,
        "box_squat.yaml: larger than 256 KB",
    ),
    # saved in Latin-1 by an old editor
    ("spec_latin1", _raw("box_squat.yaml", b"id: caf\xe9\n"), SpecError, "not UTF-8 text"),
    # saved as UTF-16 (with its byte-order mark)
    ("spec_utf16", _raw("box_squat.yaml", "id: x\n".encode("utf-16")), SpecError, "not UTF-8"),
    # an alias, even a harmless one
    ("spec_alias", _text("box_squat.yaml", "a: &x [1]\nb: *x\n"), SpecError, "YAML aliases"),
    # a merge key is an alias too
    ("spec_merge_key", _text("box_squat.yaml", "a: &x {b: 1}\nc: {<<: *x}\n"), SpecError, "*x"),
    # the alias and based_on pair that grew past 7 GB
    ("spec_alias_bomb", _files(alias_pair(), "bomb.yaml"), SpecError, "YAML aliases"),
    # the pair's base alone poisons the spec based on it; the message names both files
    (
        "spec_based_on_alias",
        _files(
            {
                "base.yaml": "id: base\nx: &a 1\ny: *a\n",
                "child.yaml": "id: child\nbased_on: base\n",
            },
            "child.yaml",
        ),
        SpecError,
        "child.yaml: based_on 'base': base.yaml: line 3: YAML aliases",
    ),
    # nested 40 levels: past the bound of 32
    (
        "spec_nested_40",
        _text("box_squat.yaml", "x: " + "[" * 40 + "]" * 40 + "\n"),
        SpecError,
        "nested more than 32 levels deep",
    ),
    # nested 20,000 levels (a RecursionError traceback before)
    (
        "spec_nested_20000",
        _text("box_squat.yaml", "x: " + "[" * 20_000 + "]" * 20_000 + "\n"),
        SpecError,
        "box_squat.yaml: line 1: nested more than 32 levels deep",
    ),
    # mappings nested 40 deep in block style
    (
        "spec_nested_mappings",
        _text("box_squat.yaml", "".join(f"{'  ' * i}k{i}:\n" for i in range(40)) + "  " * 40 + "1"),
        SpecError,
        "nested more than 32",
    ),
    # an integer Python refuses to convert (over 4300 digits)
    ("spec_huge_int", _text("box_squat.yaml", "x: " + "9" * 5000), SpecError, "cannot be read"),
    # a date that does not exist
    ("spec_bad_date", _text("box_squat.yaml", "x: 2024-13-45\n"), SpecError, "month must be"),
    # a band with NaN for its end matches nothing and would switch the rule off
    (
        "spec_nan_band",
        _spec_edit(lambda d: d["rules"][0]["ok"].update(max=math.nan)),
        SpecError,
        "rules.0.ok.max: Input should be a finite number",
    ),
    # a rule that must fail for ever before it counts
    (
        "spec_inf_persist",
        _spec_edit(lambda d: d["rules"][0].update(min_persist_s=math.inf)),
        SpecError,
        "rules.0.min_persist_s: Input should be a finite number",
    ),
    # an endless prescribed hold
    (
        "spec_inf_hold",
        _spec_edit(lambda d: d["prescription"].update(hold_s=math.inf)),
        SpecError,
        "prescription.hold_s: Input should be a finite number",
    ),
    # minus infinity as a band end
    (
        "spec_minus_inf_band",
        _spec_edit(lambda d: d["reps"]["start"].update(min=-math.inf)),
        SpecError,
        "reps.start.min: Input should be a finite number",
    ),
    # a billion sets in the prescription
    (
        "spec_billion_sets",
        _spec_edit(lambda d: d["prescription"].update(sets=1_000_000_000)),
        SpecError,
        "prescription.sets: Input should be less than or equal to 20",
    ),
    # based_on that points out of the folder
    (
        "spec_based_on_path",
        _spec_edit(lambda d: d.update(based_on="../box_squat")),
        SpecError,
        "based_on: '../box_squat' is not a usable spec id",
    ),
    # a chain of five specs, each based on the next
    ("spec_based_on_chain", _files(_chain(5), "c0.yaml"), SpecError, "a chain of more than 4"),
    # -- programs --
    # a billion sets (a MemoryError traceback before)
    (
        "program_billion_sets",
        _program_edit(lambda d: d["exercises"][0].update(sets=1_000_000_000)),
        ProgramError,
        "exercises.0.sets: Input should be less than or equal to 20",
    ),
    # an endless hold would write Infinity into the JSON
    (
        "program_inf_hold",
        _program_edit(lambda d: d["exercises"][1].update(hold_s=math.inf)),
        ProgramError,
        "exercises.1.hold_s: Input should be a finite number",
    ),
    # a hold of over ten minutes
    (
        "program_long_hold",
        _program_edit(lambda d: d["exercises"][1].update(hold_s=601)),
        ProgramError,
        "exercises.1.hold_s: Input should be less than or equal to 600",
    ),
    # more than 100 reps in a set
    (
        "program_many_reps",
        _program_edit(lambda d: d["exercises"][0].update(reps=101)),
        ProgramError,
        "exercises.0.reps: Input should be less than or equal to 100",
    ),
    # a rest of over ten minutes
    (
        "program_long_rest",
        _program_edit(lambda d: d["exercises"][0].update(rest_s=3600)),
        ProgramError,
        "exercises.0.rest_s: Input should be less than or equal to 600",
    ),
    # a NaN range-of-motion goal
    (
        "program_nan_rom",
        _program_edit(lambda d: d["exercises"][2].update(rom_target=math.nan)),
        ProgramError,
        "exercises.2.rom_target: Input should be a finite number",
    ),
    # a NaN in a patient's rule band
    (
        "program_nan_rule_band",
        _program_edit(lambda d: d["exercises"][1]["rule_ok"]["spine_upright"].update(max=math.nan)),
        ProgramError,
        "exercises.1.rule_ok.spine_upright.max: Input should be a finite number",
    ),
    # aliases in a program
    (
        "program_alias",
        _text("low_back_starter.yaml", "a: &x [1]\nb: *x\n"),
        ProgramError,
        "low_back_starter.yaml: line 2: YAML aliases",
    ),
    # a program nested 20,000 deep
    (
        "program_nested",
        _text("low_back_starter.yaml", "x: " + "{a: " * 20_000 + "1" + "}" * 20_000),
        ProgramError,
        "low_back_starter.yaml: line 1: nested more than 32 levels deep",
    ),
    # a program in Latin-1
    ("program_latin1", _raw("p.yaml", b"title: caf\xe9\n"), ProgramError, "p.yaml: not UTF-8"),
    # -- landmark files (.npz) --
    # not a zip archive at all
    ("npz_text", _raw("clip.npz", b"a shopping list\n"), ValueError, "not a formcheck landmark"),
    # a bare .npy array instead of an .npz
    ("npz_bare_npy", _npy, ValueError, "not a formcheck landmark file"),
    # larger than the file bound
    ("npz_too_large", _sparse(MAX_LANDMARK_FILE_BYTES + 1), ValueError, "MB a landmark file"),
    # 2.2 MB that declared 4 GB of landmarks (peaked at 4.1 GB before)
    (
        "npz_declares_gigabytes",
        _declared("xy_px", (4_000_000, NUM_LANDMARKS, 2)),
        ValueError,
        "its xy_px array has shape (4000000, 33, 2), not (4, 33, 2)",
    ),
    # more frames than an hour at 60 frames/s
    (
        "npz_too_many_frames",
        _declared("t_s", (MAX_LANDMARK_FRAMES + 1,)),
        ValueError,
        f"{MAX_LANDMARK_FRAMES + 1} frames is more than",
    ),
    # 17 landmarks instead of 33
    (
        "npz_wrong_landmark_count",
        _set("xy_px", np.zeros((4, 17, 2))),
        ValueError,
        "its xy_px array has shape (4, 17, 2), not (4, 33, 2)",
    ),
    # 2D world landmarks
    (
        "npz_world_2d",
        _set("world_xyz_m", np.zeros((4, NUM_LANDMARKS, 2))),
        ValueError,
        "world_xyz_m array has shape (4, 33, 2)",
    ),
    # a scalar image size (a traceback before)
    ("npz_scalar_image_wh", _set("image_wh", 640), ValueError, "image_wh array has shape ()"),
    # an image size in floats
    ("npz_float_image_wh", _set("image_wh", [640.0, 480.0]), ValueError, "not integers"),
    # a zero image side
    ("npz_zero_image_side", _set("image_wh", [640, 0]), ValueError, "image size 640x0"),
    # an image larger than any video formcheck reads
    ("npz_huge_image", _set("image_wh", [100_000, 480]), ValueError, "image size 100000x480"),
    # visibility one frame short of the timestamps
    (
        "npz_lengths_differ",
        _set("visibility", np.ones((3, NUM_LANDMARKS))),
        ValueError,
        "visibility array has shape (3, 33), not (4, 33)",
    ),
    # extras of another length
    ("npz_extras_length", _set("extra_values", np.zeros((1, 5))), ValueError, "extra_values"),
    # timestamps in reverse (0 reps and exit 0 before)
    ("npz_reversed_time", _set("t_s", [0.3, 0.2, 0.1, 0.0]), ValueError, "do not increase"),
    # a repeated timestamp
    ("npz_repeated_time", _set("t_s", [0.0, 0.1, 0.1, 0.2]), ValueError, "frame 2 at 0.1 s"),
    # a NaN timestamp
    ("npz_nan_time", _set("t_s", [0.0, np.nan, 0.2, 0.3]), ValueError, "timestamp 1 is not"),
    # an infinite coordinate
    ("npz_inf_xy", _poke("xy_px", (2, 5, 0), np.inf), ValueError, "xy_px is infinite in frame 2"),
    # an infinite world coordinate
    ("npz_inf_world", _poke("world_xyz_m", (1, 0, 2), -np.inf), ValueError, "world_xyz_m"),
    # an infinite per-frame extra
    (
        "npz_inf_extra",
        _poke("extra_values", (0, 3), np.inf),
        ValueError,
        "extras['back_bow'] is infinite in frame 3",
    ),
    # a visibility above 1
    ("npz_visibility_2", _poke("visibility", (0, 0), 2.0), ValueError, "outside 0..1 in frame 0"),
    # complex landmarks
    ("npz_complex", _set("xy_px", np.zeros((4, 33, 2), complex)), ValueError, "not numbers"),
    # a pickled object array (never unpickled)
    ("npz_object", _set("source", np.array(None, dtype=object)), ValueError, "holds object"),
    # no frames at all
    (
        "npz_empty",
        _npz(lambda f: f.update(_fields(0))),
        ValueError,
        "it holds no frames",
    ),
    # landmarks of another model, in the right number
    (
        "npz_other_names",
        _set("landmark_names", [f"point_{i}" for i in range(NUM_LANDMARKS)]),
        ValueError,
        "landmark names",
    ),
    # a missing array
    ("npz_no_timestamps", _npz(lambda f: f.pop("t_s")), ValueError, "it has no 't_s' array"),
    # a source name of a million characters
    ("npz_long_source", _set("source", "x" * 1_000_000), ValueError, "longer than 4096"),
    # a hundred extras
    (
        "npz_many_extras",
        _npz(
            lambda f: f.update(
                extra_names=np.array([f"e{i}" for i in range(100)]),
                extra_values=np.zeros((100, 4)),
            )
        ),
        ValueError,
        "more than 64 per-frame extras",
    ),
]


@pytest.mark.parametrize(
    ("name", "build", "error", "fragment"), BAD_FILES, ids=[row[0] for row in BAD_FILES]
)
def test_bad_files_fail_with_one_clear_sentence(tmp_path, name, build, error, fragment):
    path = build(tmp_path)
    with pytest.raises(error) as info:
        LOADERS[error](path)
    message = str(info.value)
    assert type(info.value) is error
    assert fragment in message
    assert path.name in message
    assert "\n" not in message


# -- what stays accepted ---------------------------------------------------------------------


def test_frames_without_a_pose_stay_nan_and_load(tmp_path):
    fields = _fields(5)
    fields["xy_px"][1:3] = np.nan  # the format's "no pose in this frame"
    fields["world_xyz_m"][1:3] = np.nan
    fields["visibility"][1:3] = 0.0
    fields["extra_values"][0, 4] = np.nan  # "not measurable in this frame"
    np.savez_compressed(tmp_path / "gaps.npz", **fields)
    series = LandmarkSeries.load(tmp_path / "gaps.npz")
    assert series.frame(1) is None and series.frame(3) is not None
    assert math.isnan(series.extras["back_bow"][4])


def test_every_committed_and_cached_landmark_file_still_loads():
    # The committed files always exist; the cache holds what earlier runs extracted, if any.
    files = sorted(LANDMARKS_DIR.glob("*.npz")) + sorted(LANDMARKS_CACHE.glob("*.npz"))
    assert files
    for path in files:
        assert len(LandmarkSeries.load(path)) > 0


def test_a_spec_of_just_under_the_bound_loads(tmp_path):
    text = _squat_text()
    padding = 256 * 1024 - len(text.encode("utf-8")) - 1
    path = tmp_path / "box_squat.yaml"
    path.write_text("#" * padding + "\n" + text, encoding="utf-8")
    assert load_spec_file(path).id == "box_squat"


# -- validate-specs: one line per bad file, no cascade ----------------------------------------


def test_validate_specs_reports_each_bad_file_and_nothing_else(tmp_path, capsys):
    specs, programs = tmp_path / "specs", tmp_path / "programs"
    specs.mkdir()
    programs.mkdir()
    shutil.copy(SQUAT, specs)
    (specs / "broken.yaml").write_bytes(b"id: caf\xe9\n")
    for name, text in alias_pair().items():
        (specs / name).write_text(text)
    program = {"title": "Squats", "summary": "Box squats, three sets of ten."}
    good = program | {"id": "squats", "exercises": [{"exercise": "box_squat", "reps": 10}]}
    bad = program | {"id": "uses_broken", "exercises": [{"exercise": "broken", "reps": 10}]}
    (programs / "squats.yaml").write_text(yaml.safe_dump(good))
    (programs / "uses_broken.yaml").write_text(yaml.safe_dump(bad))

    code = main(["validate-specs", str(specs), "--programs", str(programs)])
    out, err = capsys.readouterr()
    assert code == 2
    invalid = sorted(line for line in err.splitlines() if line.startswith("INVALID "))
    # one line per bad file, each naming it and its own reason
    assert [line.split(":")[0] for line in invalid] == [
        "INVALID bomb.yaml",
        "INVALID bomb_base.yaml",
        "INVALID broken.yaml",
        "INVALID uses_broken.yaml",
    ]
    assert "YAML aliases" in invalid[0] and "not UTF-8" in invalid[2]
    assert "spec 'broken' is itself invalid" in invalid[3]
    # the program using only the valid spec is not blamed for the others
    assert "1 of 4 specs valid" in out and "1 of 2 programs valid" in out
    errors = [line for line in err.splitlines() if line.startswith("formcheck: error:")]
    assert errors == ["formcheck: error: 4 invalid file(s), each listed above with its reason"]


# -- video frames ----------------------------------------------------------------------------


VIDEO_SIZES = [
    # 16000 pixels a side: 4 MB of MJPEG that decoded to gigabytes
    ("square_16000", [(16000, 16000)], "16000x16000 pixels"),
    # wider than 8192 pixels, though few pixels in all
    ("wide_9000", [(9008, 32)], "9008x32 pixels"),
    # 6K: within the side bound, over the pixel bound (9.4 million)
    ("six_k", [(6144, 3456)], "6144x3456 pixels; formcheck reads videos up to 8192"),
    # too small to show anyone
    ("tiny_8", [(8, 8)], "8x8 pixels, too small"),
]


@pytest.mark.parametrize(
    ("name", "sizes", "fragment"), VIDEO_SIZES, ids=[row[0] for row in VIDEO_SIZES]
)
def test_absurd_frame_sizes_are_refused_before_decoding(tmp_path, name, sizes, fragment):
    path = mjpeg_clip(tmp_path / "clip.avi", sizes)
    for read in (probe, lambda p: next(iter_frames(p))):
        with pytest.raises(VideoError) as info:
            read(path)
        assert fragment in str(info.value) and str(path) in str(info.value)


def test_a_frame_larger_than_the_header_says_is_stopped_by_the_decoder(tmp_path, monkeypatch):
    # scenario: two 64x48 frames, then a 256x256 one the header does not announce; the bounds
    # are lowered so a small clip crosses them
    monkeypatch.setattr(video, "MAX_PIXELS", 64 * 64)
    monkeypatch.setattr(video, "_DECODER_MAX_PIXELS", 2 * 64 * 64)
    path = mjpeg_clip(tmp_path / "clip.avi", [(64, 48), (64, 48), (256, 256)])
    frames = []
    with pytest.raises(VideoError, match="damaged or has a frame over"):
        for t_s, rgb in iter_frames(path):
            frames.append((t_s, rgb.shape))
    assert frames == [(0.0, (48, 64, 3)), (0.1, (48, 64, 3))]  # what came before is kept


@pytest.mark.parametrize(
    ("rotation_deg", "recorded", "expected_hw"),
    [
        # landscape 64x32, halved to the lowered bound of 32 px on the longest side
        (0, (64, 32), (16, 32)),
        # a portrait phone clip: scaled, then turned upright
        (90, (32, 64), (32, 16)),
    ],
)
def test_large_frames_are_scaled_down_keeping_rotation(
    tmp_path, monkeypatch, rotation_deg, recorded, expected_hw
):
    monkeypatch.setattr(video, "MODEL_MAX_SIDE_PX", 32)
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 32, "yuv420p"
        if rotation_deg:
            s.set_display_rotation(rotation_deg)
        for _ in range(3):
            img = np.zeros((32, 64, 3), np.uint8)
            img[:, :8] = 255  # a white stripe on the stored left edge
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    info = probe(path)
    assert (info.height, info.width) == expected_hw
    assert info.recorded_wh == recorded
    frames = list(iter_frames(path))
    assert [rgb.shape[:2] for _, rgb in frames] == [expected_hw] * 3
    assert [t for t, _ in frames] == pytest.approx([0.0, 0.1, 0.2])
    stripe = frames[0][1][:, :4] if rotation_deg == 0 else frames[0][1][-4:]
    assert stripe.mean() > 150  # the stored left edge, where rotation puts it


def test_frames_within_the_bound_come_out_exactly_as_decoded(tmp_path):
    path = mjpeg_clip(tmp_path / "clip.avi", [(96, 64)] * 3)
    with av.open(str(path)) as container:
        expected = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    got = [rgb for _, rgb in iter_frames(path)]
    assert len(got) == 3 and all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))


# -- random files never raise anything but the documented errors -----------------------------

# A random value anywhere in a YAML document: NaN, infinities, huge numbers, text, lists, maps.
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_RANDOM = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into nested mappings and lists."""
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replaced(data[path[0]], path[1:], value)
    return copy


SQUAT_DATA = yaml.safe_load(SQUAT.read_text())
PROGRAM_DATA = yaml.safe_load(PROGRAM.read_text())


@_RANDOM
@given(text=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_random_yaml_text_raises_only_the_loaders_errors(tmp_path, text):
    path = tmp_path / "box_squat.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    for load, error in ((load_spec_file, SpecError), (LOADERS[ProgramError], ProgramError)):
        try:
            load(path)
        except error as exc:
            assert "\n" not in str(exc)


@_RANDOM
@given(
    target=st.sampled_from(["spec", "program"]),
    where=st.integers(min_value=0),
    value=_VALUES,
)
# scenario: a key holding a line break (the message must stay on one line)
@example(target="spec", where=0, value={"\n": None})
@example(target="program", where=0, value={"\n": None})
def test_random_edits_of_real_files_raise_only_the_loaders_errors(tmp_path, target, where, value):
    source, data = (SQUAT, SQUAT_DATA) if target == "spec" else (PROGRAM, PROGRAM_DATA)
    paths = _paths(data)
    edited = _replaced(data, paths[where % len(paths)], value)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(edited), encoding="utf-8")
    error = SpecError if target == "spec" else ProgramError
    try:
        LOADERS[error](path)
    except error as exc:
        assert "\n" not in str(exc) and source.name in str(exc)


_DTYPES = st.sampled_from(["<f8", "<f4", ">f8", "<i8", "|u1", "|b1", "<c16", "<U6"])
_ARRAYS = _DTYPES.flatmap(
    lambda dtype: hnp.arrays(
        dtype=np.dtype(dtype),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    )
)


@_RANDOM
@given(
    replace=st.dictionaries(st.sampled_from(sorted(_fields())), _ARRAYS, max_size=3),
    drop=st.sets(st.sampled_from(sorted(_fields())), max_size=2),
    compressed=st.booleans(),
)
def test_random_npz_contents_raise_only_value_error(tmp_path, replace, drop, compressed):
    fields = {k: v for k, v in (_fields() | replace).items() if k not in drop}
    path = tmp_path / "clip.npz"
    (np.savez_compressed if compressed else np.savez)(path, **fields)
    try:
        series = LandmarkSeries.load(path)
    except ValueError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    # whatever loads is whole: equal lengths, increasing time, no infinity
    n = len(series)
    assert n > 0 and series.xy_px.shape == (n, NUM_LANDMARKS, 2)
    assert series.visibility.shape == (n, NUM_LANDMARKS)
    assert np.all(np.diff(series.t_s) > 0) and not np.isinf(series.xy_px).any()


@_RANDOM
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=4))
def test_damaged_npz_bytes_raise_only_value_error(tmp_path, flips):
    path = tmp_path / "clip.npz"
    np.savez_compressed(path, **_fields())
    data = bytearray(path.read_bytes())
    for where, xor in flips:
        data[where % len(data)] ^= xor
    path.write_bytes(bytes(data))
    try:
        LandmarkSeries.load(path)
    except ValueError as exc:
        assert "\n" not in str(exc)
