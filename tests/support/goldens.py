"""Golden results of the engine on committed landmark files (the fast tier: no model, no video).

The landmark files in ``tests/data/landmarks`` are the pose model's output on some of the rendered
sample clips (``sample_videos/``), one per engine feature worth guarding: reps from the front and
the side, the back's outline, tempo, a rule judged against the start position, a hold paused by a
fault, a steady rule, a settle-timed hold. ``goldens.json`` holds the engine's full result on each.

After a deliberate change of the engine's behaviour, look at what changed and rewrite them:

    python -m tests.support.goldens write        # results only (no model)
    python -m tests.support.goldens landmarks    # the landmark files too (runs the model)
"""

from __future__ import annotations

import json
import sys
from typing import Any

from formcheck.analyze import replay_series
from formcheck.landmarks import LandmarkSeries
from formcheck.results import RunInfo, to_dict
from formcheck.specs.loader import load_all_specs
from tests.support.paths import REPO
from tools.synth.clip import TRUTH_SUFFIX

LANDMARKS_DIR = REPO / "tests" / "data" / "landmarks"
GOLDENS = LANDMARKS_DIR / "goldens.json"
SAMPLES = REPO / "sample_videos"


def clip_names() -> list[str]:
    """The clips with a committed landmark file, sorted."""
    return sorted(p.stem for p in LANDMARKS_DIR.glob("*.npz"))


def exercise_of(name: str) -> str:
    """The exercise a rendered clip shows, from its truth file."""
    truth = json.loads((SAMPLES / f"{name}{TRUTH_SUFFIX}").read_text())
    return str(truth["exercise"])


def replayed_result(name: str) -> dict[str, Any]:
    """The engine's result on a clip's committed landmarks, as the JSON result holds it."""
    spec = load_all_specs()[exercise_of(name)]
    series = LandmarkSeries.load(LANDMARKS_DIR / f"{name}.npz")
    analysis = replay_series(spec, series)
    # Fixed run information: only what the engine decided is compared.
    data = to_dict(analysis.result, RunInfo(f"{name}.mp4", 0.0, 0.0, "replay"))
    return json.loads(json.dumps(data))


def load_goldens() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDENS.read_text())
    return data


def _write_goldens() -> None:
    goldens = {name: replayed_result(name) for name in clip_names()}
    GOLDENS.write_text(json.dumps(goldens, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDENS} ({len(goldens)} clips)")


def _write_landmarks() -> None:
    from formcheck.corpus.landmarks_cache import extract_landmarks
    from formcheck.pose.model_store import resolve_model

    model = resolve_model()
    for name in clip_names():
        truth = json.loads((SAMPLES / f"{name}{TRUTH_SUFFIX}").read_text())
        extract_landmarks(SAMPLES / truth["clip"], model).save(LANDMARKS_DIR / f"{name}.npz")
        print(f"extracted {name}")


def main(argv: list[str]) -> int:
    if argv == ["write"]:
        _write_goldens()
        return 0
    if argv == ["landmarks"]:
        _write_landmarks()
        _write_goldens()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
