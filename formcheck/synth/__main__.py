"""``python -m formcheck.synth regenerate DIR`` / ``generated DIR`` / ``sweep FAULT DIR`` (see
docs/SYNTH.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m formcheck.synth")
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
    args = parser.parse_args(argv)
    from formcheck.synth import catalog

    if args.cmd in ("regenerate", "generated"):
        out = Path(args.out_dir)
        if args.cmd == "regenerate":
            paths = catalog.regenerate(out, args.names or None)
        else:
            paths = catalog.render_specs(catalog.generated_specs(), out)
        for path in paths:
            print(f"{catalog.sha256(path)[:16]}  {path}")
        return 0
    from formcheck.evaluate import evaluate_clip
    from formcheck.pose.model_store import resolve_model
    from formcheck.synth.clip import TRUTH_SUFFIX, render_clip

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


if __name__ == "__main__":
    sys.exit(main())
