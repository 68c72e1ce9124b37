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
    from formcheck.analyze import needs_back_curve, replay_series, run_frames
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
            with (
                bar,
                MediaPipePoseBackend(model_path, back_curve=needs_back_curve(spec)) as backend,
            ):
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
    for n in reps.get("not_counted", []):
        print(f"  not a rep: {n['start_s']:.1f}-{n['end_s']:.1f} s  {n['reason']}")
    for h in data["holds"]:
        print(
            f"  hold ({h['side']}): {h['start_s']:.1f}-{h['end_s']:.1f} s, {h['duration_s']:.1f} s"
        )
    for f in data["faults"]:
        print(f"  fault {f['rule']}: {f['start_s']:.1f}-{f['end_s']:.1f} s")
    for rule, share in data.get("rules_not_checked", {}).items():
        print(f"  not checked in this view: {rule} ({share:.0%} of the time it applied)")


def cmd_list(args: argparse.Namespace) -> int:
    from formcheck.specs.loader import SpecError, load_all_specs

    try:
        specs = load_all_specs()
    except SpecError as exc:
        raise UserError(str(exc)) from None
    for spec in specs.values():
        kind = "timer" if spec.guided else spec.kind
        print(f"{spec.id:32s} {kind:5s} {'/'.join(spec.camera.views):22s} {spec.title}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from formcheck.programs import ProgramError, load_program_file, programs_dir
    from formcheck.specs.loader import SpecError, load_all_specs, load_spec_file, specs_dir

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
    pfolder = Path(args.programs) if args.programs else programs_dir()
    pfiles = sorted(pfolder.glob("*.yaml")) if pfolder.is_dir() else []
    if pfiles:
        try:
            specs = load_all_specs(folder)
        except SpecError:
            specs = {}
        pfail = 0
        for f in pfiles:
            try:
                load_program_file(f, specs)
            except ProgramError as exc:
                pfail += 1
                print(f"INVALID {exc}", file=sys.stderr)
        print(f"{len(pfiles) - pfail} of {len(pfiles)} programs valid")
        failures += pfail
    return 1 if failures else 0


def cmd_program(args: argparse.Namespace) -> int:
    from formcheck.programs import ProgramError, ProgramRunner, load_program_file
    from formcheck.specs.loader import SpecError, load_all_specs

    try:
        specs = load_all_specs()
        program = load_program_file(Path(args.program), specs)
    except (SpecError, ProgramError) as exc:
        raise UserError(str(exc)) from None
    if args.ignore_rest:
        program = program.model_copy(
            update={"exercises": [e.model_copy(update={"rest_s": 0.0}) for e in program.exercises]}
        )
    if len(args.inputs) > len(program.exercises):
        raise UserError(
            f"{len(args.inputs)} recordings for {len(program.exercises)} exercises in "
            f"{program.id}: give at most one per exercise, in program order"
        )
    runner = ProgramRunner(program, specs)
    offset = 0.0
    for index, name in enumerate(args.inputs):
        if name == "-":
            runner.skip_exercise()  # no recording of this exercise
            continue
        frames = _program_frames(Path(name), args.model)
        end = offset
        for t_s, pose in frames:
            if runner.exercise_index != index:
                break  # this exercise is done; the rest of its recording is not needed
            end = offset + t_s
            runner.update(end, pose)
        if runner.exercise_index == index:
            runner.skip_exercise()
        # The next recording starts a second after this one ended, on one program clock.
        offset = end + 1.0
    data = runner.summary()
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    for ex in data["exercises"]:
        status = "done" if ex["completed"] else "not finished"
        print(f"{ex['exercise']}: {status}")
        for b in ex["blocks"]:
            got = f"{b['reps']} reps" if b["reps"] is not None else f"held {b['hold_s']:.1f} s"
            faults = ", ".join(b["faults"]) or "ok"
            mark = "" if b["completed"] else " (incomplete)"
            print(f"  set {b['set']} {b['side']:5s} {got}{mark}  {faults}")
        rom = ex["range_of_motion"]
        if rom and rom["tighter_side"] not in (None, "even"):
            print(f"  tighter side: {rom['tighter_side']} (by {rom['difference']})")
    return 0


def _program_frames(path: Path, model: str | None) -> list[tuple[float, Any]]:
    """(t_s, pose) of one recording: saved landmarks (.npz) or a video run through the model."""
    from formcheck.landmarks import LandmarkSeries

    if path.suffix == ".npz":
        try:
            series = LandmarkSeries.load(path)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        return [(float(series.t_s[i]), series.frame(i)) for i in range(len(series))]
    from formcheck.video import VideoError, iter_frames, probe

    try:
        probe(path)
    except VideoError as exc:
        raise UserError(str(exc)) from None
    from formcheck.pose.mediapipe_backend import MediaPipePoseBackend

    out = []
    try:
        with MediaPipePoseBackend(_model_path(model)) as backend:
            for t_s, rgb in iter_frames(path):
                out.append((t_s, backend.detect(rgb, t_s)))
    except VideoError as exc:
        raise UserError(str(exc)) from None
    return out


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


def cmd_evaluate(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UserError(f"no such folder: {folder}")
    from formcheck.corpus.manifest import MANIFEST_NAME

    if (folder / MANIFEST_NAME).exists():
        return _evaluate_corpus(args, folder)
    if args.landmarks_cache or args.markdown:
        raise UserError(
            f"--landmarks-cache and --markdown need a labelled folder ({MANIFEST_NAME})"
        )
    from formcheck.evaluate import evaluate_dir, format_table

    if not any(folder.glob("*.truth.json")):
        raise UserError(f"no {MANIFEST_NAME} and no truth files (*.truth.json) in {folder}")
    from formcheck.specs.loader import SpecError
    from formcheck.video import VideoError

    try:
        report = evaluate_dir(folder, _model_path(args.model))
    except (SpecError, VideoError) as exc:
        raise UserError(str(exc)) from None
    except (ValueError, KeyError) as exc:  # a truth file that is not JSON or lacks a key
        raise UserError(f"a truth file in {folder} cannot be read: {exc}") from None
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(format_table(report))
    return 0


def _evaluate_corpus(args: argparse.Namespace, folder: Path) -> int:
    """Labelled real clips (a manifest.json): counts, holds and faults against the labels."""
    import os
    import shlex

    from formcheck.corpus.manifest import ManifestError
    from formcheck.corpus.report import format_table, markdown
    from formcheck.corpus.run import evaluate_corpus
    from formcheck.video import VideoError

    jobs = args.jobs or os.cpu_count() or 1
    cache = Path(args.landmarks_cache) if args.landmarks_cache else None
    for out in (args.json, args.markdown):
        if out and not Path(out).resolve().parent.is_dir():
            raise UserError(f"the folder for {out} does not exist")
    from formcheck.corpus.manifest import load_manifest
    from formcheck.pose.model_store import default_model_path

    try:
        load_manifest(folder)  # a bad manifest is reported before any model work
        # The model file names the cache entries; it is only loaded (and checked) when a clip
        # is not in the cache yet.
        model = Path(args.model).expanduser() if args.model else default_model_path()
        if not model.is_file():
            model = _model_path(args.model)  # raises with the remedies
        report = evaluate_corpus(
            folder, model, cache, jobs=jobs, check_model=lambda: _model_path(args.model)
        )
    except (ManifestError, VideoError) as exc:
        raise UserError(str(exc)) from None
    if args.json:
        text = json.dumps(report.to_json(), indent=2)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.markdown:
        command = shlex.join(["formcheck", *args.command_line])
        Path(args.markdown).write_text(markdown(report, command), encoding="utf-8")
    print(format_table(report))
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from formcheck.synth.catalog import regenerate, sha256

    for path in regenerate(Path(args.out_dir), args.names or None):
        print(f"{sha256(path)[:16]}  {path}")
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

    p = sub.add_parser("validate-specs", help="check every exercise spec and program")
    p.add_argument("folder", nargs="?", help="folder of specs (default: exercise_specs/)")
    p.add_argument("--programs", metavar="FOLDER", help="folder of programs (default: programs/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "program",
        help="run a program over recordings, one per exercise",
        description="Run a program (programs/*.yaml) over recordings of its exercises. Give one "
        "recording per exercise, in the program's order: a video, or a .npz landmark file saved "
        "by 'analyze --save-landmarks'. Within a recording the runner counts sets, switches "
        "sides and times the rest as it would live; when a recording ends, whatever of that "
        "exercise is left is reported as not finished, and the next recording goes to the next "
        "exercise. '-' in place of a recording skips that exercise; fewer recordings than "
        "exercises leave the rest not started.",
    )
    p.add_argument("program", help="a program file, e.g. programs/low_back_starter.yaml")
    p.add_argument("inputs", nargs="+", metavar="RECORDING", help="video, .npz or '-', in order")
    p.add_argument(
        "--ignore-rest",
        action="store_true",
        help="no rest pauses (the recordings already contain the rests)",
    )
    p.add_argument("--json", metavar="OUT", help="write the program result as JSON")
    p.add_argument("--model", metavar="PATH", help="a pose_landmarker .task file")
    p.set_defaults(func=cmd_program)

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

    p = sub.add_parser(
        "evaluate",
        help="score the analysis on labelled real clips or rendered clips with truth files",
        description="A folder with a manifest.json of hand labels (see docs/ACCURACY.md) is "
        "scored against its labels: rep counts, hold times, fault rules, frames that could not "
        "be judged. A folder of rendered clips with <clip>.truth.json files is scored against "
        "their exact truth.",
    )
    p.add_argument("folder", help="labelled clips (manifest.json) or rendered clips with truth")
    p.add_argument("--json", metavar="OUT", help="write the full report as JSON")
    p.add_argument("--model", metavar="PATH", help="a pose_landmarker .task file")
    p.add_argument(
        "--landmarks-cache",
        metavar="DIR",
        help="keep each clip's landmarks here; later runs re-score from them without the model",
    )
    p.add_argument(
        "--jobs", type=int, default=0, metavar="N", help="model processes (default: all cores)"
    )
    p.add_argument("--markdown", metavar="OUT.md", help="write the totals as Markdown")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("synth", help="render the sample clips (sample_videos/) from their seeds")
    p.add_argument("out_dir")
    p.add_argument("names", nargs="*", help="only these clips")
    p.set_defaults(func=cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = list(sys.argv[1:] if argv is None else argv)
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
