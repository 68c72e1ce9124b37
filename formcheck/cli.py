"""``formcheck`` command line: analyze, list-exercises, validate-specs, models, bench.

Every failure the user can cause (a missing file, a file that is not a video, an unknown exercise,
an invalid spec, no model) ends with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from formcheck.specs.schema import ExerciseSpec

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A problem with the input or the set-up, reported as one line."""


def _err(message: str) -> None:
    print(f"formcheck: error: {message}", file=sys.stderr)


def _load_spec(exercise_id: str) -> ExerciseSpec:
    from formcheck.specs.loader import SpecError, load_spec

    try:
        return load_spec(exercise_id)
    except SpecError as exc:
        raise UserError(str(exc)) from None


def _model_path(model: str | None) -> Path:
    from formcheck.pose.model_store import ModelInstallError, resolve_model

    try:
        return resolve_model(Path(model) if model else None)
    except ModelInstallError as exc:
        raise UserError(str(exc)) from None


def _progress_bar(total_s: float, enabled: bool) -> tuple[Any, Callable[[float], None]]:
    """A tqdm bar in video seconds, shown only on a terminal."""
    from tqdm import tqdm

    bar = tqdm(
        total=round(total_s, 1) or None,
        unit="s",
        desc="analysing",
        disable=not enabled,
        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s video [{elapsed}<{remaining}]",
    )
    state = {"last": 0.0}

    def update(t_s: float) -> None:
        step = round(t_s, 1) - state["last"]
        if step >= 0.1:
            bar.update(step)
            state["last"] = round(t_s, 1)

    return bar, update


def cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.analyze import replay_series, run_frames
    from formcheck.landmarks import LandmarkSeries
    from formcheck.results import RunInfo, to_dict
    from formcheck.video import VideoError, iter_frames, probe

    spec = _load_spec(args.exercise)
    path = Path(args.video)
    if path.suffix == ".npz":
        try:
            series = LandmarkSeries.load(path)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        analysis = replay_series(spec, series, side=args.side)
        duration = float(series.t_s[-1]) if len(series) else 0.0
        model = "replay"
    else:
        try:
            info = probe(path)
        except VideoError as exc:
            raise UserError(str(exc)) from None
        from formcheck.pose.mediapipe_backend import MediaPipePoseBackend

        model_path = _model_path(args.model)
        bar, update = _progress_bar(info.duration_s, sys.stderr.isatty() and not args.quiet)
        try:
            with bar, MediaPipePoseBackend(model_path) as backend:
                analysis = run_frames(
                    spec,
                    iter_frames(path),
                    backend,
                    side=args.side,
                    progress=update,
                    source=path.name,
                )
        except VideoError as exc:
            raise UserError(str(exc)) from None
        if not analysis.states:
            raise UserError(f"{path} contains no decodable video frames (empty or truncated)")
        duration = max(info.duration_s, analysis.states[-1].t_s)
        model = model_path.name
    run = RunInfo(path.name, duration, analysis.processing_s, model)
    data = to_dict(analysis.result, run)
    if args.save_landmarks:
        analysis.series.save(Path(args.save_landmarks))
    if args.annotate:
        if path.suffix == ".npz":
            raise UserError("--annotate needs the video, not a landmark file")
        from formcheck.render.annotate import write_annotated

        write_annotated(path, Path(args.annotate), spec, analysis)
    text = json.dumps(data, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    if not args.quiet:
        _print_summary(data)
    if not args.json and args.quiet:
        print(text)
    return 0


def _print_summary(data: dict[str, Any]) -> None:
    reps = data["reps"]
    print(
        f"{data['exercise']}: {reps['count']} reps ({reps['good']} good, {reps['faulty']} faulty), "
        f"view {data['view']}, side {data['side']}, "
        f"assessable {data['assessable_fraction']:.0%} of {data['frames']} frames"
    )
    for r in reps["events"]:
        faults = ", ".join(r["faults"]) or "ok"
        print(f"  rep {r['index']}: {r['start_s']:.1f}-{r['end_s']:.1f} s  {faults}")
    for h in data["holds"]:
        print(
            f"  hold ({h['side']}): {h['start_s']:.1f}-{h['end_s']:.1f} s, {h['duration_s']:.1f} s"
        )
    for f in data["faults"]:
        print(f"  fault {f['rule']}: {f['start_s']:.1f}-{f['end_s']:.1f} s")


def cmd_list(args: argparse.Namespace) -> int:
    from formcheck.specs.loader import SpecError, load_all_specs

    try:
        specs = load_all_specs()
    except SpecError as exc:
        raise UserError(str(exc)) from None
    for spec in specs.values():
        print(f"{spec.id:32s} {spec.kind:5s} {'/'.join(spec.camera.views):22s} {spec.title}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from formcheck.specs.loader import SpecError, load_spec_file, specs_dir

    folder = Path(args.folder) if args.folder else specs_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise UserError(f"no spec files (*.yaml) in {folder}")
    failures = 0
    for f in files:
        try:
            load_spec_file(f)
        except SpecError as exc:
            failures += 1
            print(f"INVALID {exc}", file=sys.stderr)
    print(f"{len(files) - failures} of {len(files)} specs valid")
    return 1 if failures else 0


def cmd_models_install(args: argparse.Namespace) -> int:
    from formcheck.pose.model_store import ModelInstallError, install_model

    try:
        path = install_model(force=args.force, offline_only=args.offline)
    except ModelInstallError as exc:
        raise UserError(str(exc)) from None
    print(f"pose model ready: {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from formcheck.bench import benchmark
    from formcheck.video import VideoError, probe

    spec = _load_spec(args.exercise)
    path = Path(args.video)
    try:
        probe(path)
    except VideoError as exc:
        raise UserError(str(exc)) from None
    print(json.dumps(benchmark(path, spec, _model_path(args.model), repeats=args.repeats)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="formcheck", description="Check physiotherapy exercise form in a video."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("analyze", help="count reps, time holds and find faults in a video")
    p.add_argument("video", help="a video file, or a .npz landmark file saved earlier")
    p.add_argument("--exercise", required=True, help="exercise id (see list-exercises)")
    p.add_argument("--side", choices=["left", "right", "auto"], default="auto")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON")
    p.add_argument("--annotate", metavar="OUT.mp4", help="write a video with the overlay")
    p.add_argument("--save-landmarks", metavar="OUT.npz", help="save landmarks for replay")
    p.add_argument("--model", metavar="PATH", help="a pose_landmarker .task file")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("list-exercises", help="list exercise ids")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("validate-specs", help="check every exercise spec")
    p.add_argument("folder", nargs="?", help="folder of specs (default: exercise_specs/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("models", help="manage the pose model")
    msub = p.add_subparsers(dest="models_command", required=True)
    mi = msub.add_parser("install", help="download or build the pose model into the cache")
    mi.add_argument("--force", action="store_true", help="replace a cached model")
    mi.add_argument("--offline", action="store_true", help="skip the download, build locally")
    mi.set_defaults(func=cmd_models_install)

    p = sub.add_parser("bench", help="measure model and pipeline speed on a video")
    p.add_argument("video")
    p.add_argument("--exercise", required=True)
    p.add_argument("--model", metavar="PATH")
    p.add_argument("--repeats", type=int, default=3)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except UserError as exc:
        _err(str(exc))
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except OSError as exc:  # disk full, permission denied on an output path...
        _err(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "))
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
