"""``python -m tools.synth regenerate DIR`` / ``generated DIR`` / ``sweep FAULT DIR`` /
``evaluate DIR`` (see docs/SYNTH.md): the rendered clips, run from a checkout."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.synth")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("regenerate", help="render the sample clips and their truth files")
    p.add_argument("out_dir")
    p.add_argument("names", nargs="*", help="only these clips")
    p = sub.add_parser(
        "generated", help="render the larger generated set (then: formcheck evaluate DIR)"
    )
    p.add_argument("out_dir")
    p = sub.add_parser("sweep", help="render a fault at several magnitudes and evaluate them")
    p.add_argument("fault")
    p.add_argument("out_dir")
    p = sub.add_parser("evaluate", help="score the analysis on rendered clips against their truth")
    p.add_argument("folder", help="rendered clips with <clip>.truth.json files")
    p.add_argument("--json", metavar="OUT", help="write the full report as JSON")
    p.add_argument("--model", metavar="PATH", help="a pose_landmarker .task file")
    args = parser.parse_args(argv)
    if args.cmd == "evaluate":
        return _evaluate(Path(args.folder), args.json, args.model)
    from tools.synth import catalog

    if args.cmd in ("regenerate", "generated"):
        out = Path(args.out_dir)
        if args.cmd == "regenerate":
            paths = catalog.regenerate(out, args.names or None)
        else:
            paths = catalog.render_specs(catalog.generated_specs(), out)
        for path in paths:
            print(f"{catalog.sha256(path)[:16]}  {path}")
        return 0
    from formcheck.pose.model_store import resolve_model
    from tools.synth.clip import TRUTH_SUFFIX, render_clip
    from tools.synth.evaluate import evaluate_clip

    out = Path(args.out_dir)
    model = resolve_model()
    for spec in catalog.sweep_specs(args.fault):
        render_clip(spec, out)
        score = evaluate_clip(out / f"{spec.name}{TRUTH_SUFFIX}", model)
        d = score.to_json()
        print(
            f"{args.fault} magnitude {spec.magnitude:5.1f}: reps {d['reps_found']}/"
            f"{d['reps_true']}, injected {d['fault_injected']}, found {d['fault_found']}, "
            f"false positives {d['fault_false_positives']}"
        )
    return 0


def _evaluate(folder: Path, json_out: str | None, model: str | None) -> int:
    """Score every rendered clip in ``folder``; one line and exit 2 for what cannot be read."""
    from formcheck.pose.model_store import ModelInstallError, resolve_model
    from formcheck.results import json_text
    from formcheck.source.video import VideoError
    from formcheck.specs.loader import SpecError
    from tools.synth.clip import TRUTH_SUFFIX
    from tools.synth.evaluate import evaluate_dir, format_table

    if not any(folder.glob(f"*{TRUTH_SUFFIX}")):
        print(
            f"python -m tools.synth: error: no truth files (*{TRUTH_SUFFIX}) in {folder}",
            file=sys.stderr,
        )
        return 2
    try:
        report = evaluate_dir(folder, resolve_model(Path(model) if model else None))
    except (SpecError, VideoError, ModelInstallError) as exc:
        print(f"python -m tools.synth: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:  # a truth file that is not JSON or lacks a key
        print(
            f"python -m tools.synth: error: a truth file in {folder} cannot be read: {exc}",
            file=sys.stderr,
        )
        return 2
    print(format_table(report))
    if json_out:
        Path(json_out).write_text(json_text(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
