"""Memory bombs: small files that would make an unbounded reader use gigabytes (or crash) end with
exit 2 and one error line, each run of the CLI under a cap on its address space, its peak
resident memory measured against the 1 GiB budget (each peaks under 100 MB).
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from formcheck.landmarks import LANDMARK_NAMES, NUM_LANDMARKS
from tests.support.inputs import PROGRAM, alias_pair, mjpeg_clip
from tests.support.paths import REPO

GIB = 2**30
# The budget for any input the CLI accepts; a refused bomb must stay well inside it.
PEAK_BUDGET_MIB = 1024
# Frames of the .npz bomb: 640 MiB of xy_px, which the old loader read and then copied.
NPZ_BOMB_FRAMES = 640 * 2**20 // (NUM_LANDMARKS * 2 * 8)


def _landmark_arrays(frames: int) -> dict[str, np.ndarray]:
    return {
        "format_version": np.array(2),
        "t_s": np.arange(frames) * 0.1,
        "xy_px": np.full((frames, NUM_LANDMARKS, 2), 100.0),
        "world_xyz_m": np.zeros((frames, NUM_LANDMARKS, 3)),
        "visibility": np.full((frames, NUM_LANDMARKS), 0.9),
        "image_wh": np.array((640, 480)),
        "landmark_names": np.array(LANDMARK_NAMES),
        "source": np.array("clip.mp4"),
        "extra_names": np.array([], dtype=str),
        "extra_values": np.zeros((0, frames)),
    }


def _npz_bomb(folder: Path) -> list[str]:
    """A landmark file of a few MB whose xy_px really holds 640 MiB of zeros."""
    path = folder / "bomb.npz"
    frames = NPZ_BOMB_FRAMES
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, array in _landmark_arrays(1).items():
            if name != "xy_px":
                out = io.BytesIO()
                np.save(out, array)
                zf.writestr(f"{name}.npy", out.getvalue())
        with zf.open("xy_px.npy", "w", force_zip64=True) as member:
            header = {"descr": "<f8", "fortran_order": False, "shape": (frames, NUM_LANDMARKS, 2)}
            np.lib.format.write_array_header_1_0(member, header)
            chunk = bytes(16 * 2**20)
            left = frames * NUM_LANDMARKS * 2 * 8
            while left:
                member.write(chunk[: min(left, len(chunk))])
                left -= min(left, len(chunk))
    return ["analyze", str(path), "--exercise", "box_squat"]


def _spec_pair(folder: Path) -> list[str]:
    for name, text in alias_pair().items():
        (folder / name).write_text(text)
    return ["validate-specs", str(folder), "--programs", str(folder / "none")]


def _deep_spec(folder: Path) -> list[str]:
    (folder / "deep.yaml").write_text("x: " + "[" * 20_000 + "]" * 20_000 + "\n")
    return ["validate-specs", str(folder), "--programs", str(folder / "none")]


def _ten_mb_spec(folder: Path) -> list[str]:
    rows = "".join(
        f"- [{i}, {i}, {i}, {i}, {i}, {i}, {i}, {i}, {i}, {i}]\n" for i in range(250_000)
    )
    (folder / "big.yaml").write_text(rows)
    return ["validate-specs", str(folder), "--programs", str(folder / "none")]


def _mjpeg_bomb(folder: Path) -> list[str]:
    path = mjpeg_clip(folder / "bomb.avi", [(16000, 16000)])
    return ["analyze", str(path), "--exercise", "box_squat", "--quiet"]


def _billion_sets(folder: Path) -> list[str]:
    data = yaml.safe_load(PROGRAM.read_text())
    data["exercises"][0]["sets"] = 1_000_000_000
    program = folder / PROGRAM.name
    program.write_text(yaml.safe_dump(data))
    recording = folder / "knee_to_chest.npz"
    np.savez_compressed(recording, **_landmark_arrays(20))
    return ["program", str(program), str(recording)]


BOMBS: list[tuple[str, Callable[[Path], list[str]], float, str]] = [
    # the 900-byte spec pair of based_on and aliases that grew past 7 GB
    ("alias_based_on_pair", _spec_pair, 1, "INVALID bomb.yaml: line 4: YAML aliases"),
    # a spec nested 20,000 levels deep (RecursionError traceback)
    ("nested_20000", _deep_spec, 1, "INVALID deep.yaml: line 1: nested more than 32 levels"),
    # a 10 MB spec (the ran past 300 s)
    ("ten_mb_spec", _ten_mb_spec, 1, "INVALID big.yaml: larger than 256 KB"),
    # a few-MB .npz whose landmarks expand to 640 MiB (4.1 GB peak for the 2 GB one)
    ("npz_expanding", _npz_bomb, 1, f"its xy_px array has shape ({NPZ_BOMB_FRAMES}, 33, 2)"),
    # a 4 MB MJPEG of one 16000x16000 frame; the address space cap is the pose model's (its
    # threads reserve more than 1 GiB of addresses), the budget is checked on resident memory
    ("mjpeg_16000", _mjpeg_bomb, 4, "has frames of 16000x16000 pixels"),
    # a program asking for a billion sets (MemoryError traceback)
    ("billion_sets", _billion_sets, 1, "exercises.0.sets: Input should be less than or equal"),
]


# Runs the CLI in a fresh interpreter that caps its own address space and, at the end, reads its
# own high-water resident memory (VmHWM). A fork of this (large) pytest process would report
# pytest's pages as the child's peak, so the child measures itself after its exec.
_CAPPED_CLI = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from formcheck.cli import main
try:
    code = main(sys.argv[3:])
finally:
    with open("/proc/self/status") as status:
        peak_kib = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    with open(sys.argv[2], "w") as out:
        out.write(peak_kib)
sys.exit(code)
"""


def run_capped(args: list[str], cap_gib: float, timeout_s: float = 120.0) -> tuple[int, str, int]:
    """Run ``formcheck ARGS`` with its address space capped; exit status, stderr, peak RSS MiB."""
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak_kib"
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CAPPED_CLI, str(int(cap_gib * GIB)), str(peak_file), *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"formcheck {' '.join(args)} ran past {timeout_s} s")
        assert peak_file.is_file(), f"the capped run died without reporting its peak: {proc.stderr}"
        peak_mib = int(peak_file.read_text()) // 1024
    return proc.returncode, proc.stderr, peak_mib


@pytest.mark.parametrize(("name", "build", "cap_gib", "fragment"), BOMBS, ids=[b[0] for b in BOMBS])
def test_bombs_end_with_one_error_line_in_bounded_memory(tmp_path, name, build, cap_gib, fragment):
    args = build(tmp_path)
    code, stderr, peak_mib = run_capped(args, cap_gib)
    print(f"{name}: exit {code}, peak {peak_mib} MiB")
    assert code == 2, stderr
    assert "Traceback" not in stderr and "MemoryError" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("formcheck: error:")]
    assert len(errors) == 1, stderr
    assert fragment in stderr
    assert peak_mib < PEAK_BUDGET_MIB


def test_the_shipped_specs_validate_well_inside_the_cap():
    # scenario: the normal command under the same cap, so the cap is not what the bombs hit
    code, stderr, peak_mib = run_capped(["validate-specs"], 1)
    assert code == 0, stderr
    assert peak_mib < 256
