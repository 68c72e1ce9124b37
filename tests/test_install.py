"""An installed formcheck works on its own: `pip install .` into a clean environment, then the
commands run from a folder that is not the checkout and still find their exercises and programs.

The clean environment is a new venv without the project's editable install; the dependencies
(mediapipe, streamlit, ...) are borrowed from the project's own venv through a path line, whose
folder's .pth files Python does not run, so the checkout never reaches the installed package.
"""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from formcheck.landmarks import LandmarkSeries
from tests.factories import side_view_squat_frame

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _two_squats() -> LandmarkSeries:
    """Two side-on squats (knee 5 -> 90 -> 5 deg at 1-3 s and 5-7 s), 20 frames a second."""
    times = np.arange(0.0, 8.0, 1 / 20)
    knee = 5 + 85 * np.clip(np.sin(np.pi * (times - 1.0) / 2.0), 0, None) * (times > 1.0)
    frames = [side_view_squat_frame(float(t), float(k)) for t, k in zip(times, knee, strict=True)]
    return LandmarkSeries.from_frames([float(t) for t in times], list(frames), (800, 1000), "x")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv with formcheck installed from a copy of the checkout."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    # Real folders, not the checkout's links: what a source archive of the package holds.
    shutil.copytree(
        REPO / "formcheck", source / "formcheck", ignore=shutil.ignore_patterns("__pycache__")
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "borrowed_dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    subprocess.run(
        [
            # The build backend (setuptools, wheel) comes from the package index in an isolated
            # build environment, as for anyone running `pip install .`.
            sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
            "--no-deps", str(source),
        ],
        check=True,
        cwd=root,
    )  # fmt: skip
    shutil.rmtree(source)  # whatever runs now can only be the installed copy
    return venv / "bin"


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "formcheck"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import formcheck; print(formcheck.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.parent), where
    assert not Path(where).is_relative_to(REPO), where


def test_installed_formcheck_lists_every_exercise_of_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    proc = _run(installed, tmp_path, "list-exercises")
    assert proc.returncode == 0, proc.stderr
    listed = sorted(line.split()[0] for line in proc.stdout.splitlines() if line.strip())
    shipped = sorted(p.stem for p in (REPO / "exercise_specs").glob("*.yaml"))
    assert listed == shipped


def test_installed_formcheck_validates_its_specs_and_programs(
    installed: Path, tmp_path: Path
) -> None:
    proc = _run(installed, tmp_path, "validate-specs")
    assert proc.returncode == 0, proc.stderr
    specs = len(list((REPO / "exercise_specs").glob("*.yaml")))
    programs = len(list((REPO / "programs").glob("*.yaml")))
    assert f"{specs} of {specs} specs valid" in proc.stdout
    assert f"{programs} of {programs} programs valid" in proc.stdout


def test_installed_formcheck_analyses_saved_landmarks_from_any_folder(
    installed: Path, tmp_path: Path
) -> None:
    _two_squats().save(tmp_path / "squats.npz")
    proc = _run(
        installed, tmp_path, "analyze", "squats.npz", "--exercise", "box_squat", "--json", "r.json"
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["exercise"] == "box_squat"
    assert result["reps"]["count"] == 2
