"""The engine on committed landmark files of rendered clips, against its golden results.

No model and no video: the fast tier (``make fast``). A failure means the engine decided
something differently (a rep, a hold, a fault, a view, a measure); if that was meant, rewrite
the goldens with ``python -m tests.support.goldens write`` and say why in the commit.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.goldens import clip_names, load_goldens, replayed_result


def _differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where two JSON values differ, as readable paths (at most a few per level)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual or key not in expected:
                out.append(f"{where}.{key}: only in {'golden' if key in expected else 'result'}")
            else:
                out += _differences(expected[key], actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items in the golden, {len(actual)} now"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in _differences(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: golden {expected!r}, now {actual!r}"]


def test_every_committed_landmark_file_has_a_golden() -> None:
    assert clip_names() and sorted(load_goldens()) == clip_names()


@pytest.mark.parametrize("clip", clip_names())
def test_engine_result_matches_the_golden(clip: str) -> None:
    differences = _differences(load_goldens()[clip], replayed_result(clip))
    assert not differences, "\n".join(differences[:20])
