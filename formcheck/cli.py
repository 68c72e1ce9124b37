"""``formcheck`` command line: analyze, list-exercises, validate-specs, program, models, bench,
evaluate, batch.

Every failure the user can cause (a missing file, a file that is not a video, an unknown exercise,
an invalid spec, a missing or unusable model, an output path that cannot or must not be written)
ends with one line on stderr and exit status 2, never a traceback.

Outputs (``--json``, ``--annotate``, ``--save-landmarks``, ``--markdown``, ``--readme``) are
checked before any analysis: an output is never one of the command's inputs, an existing file is
replaced only with ``--force`` (``--readme`` rewrites one block of its file without it), and each
is written to a temporary file beside it and moved into place when the
command succeeds, so an error or Ctrl-C leaves no half-written file (``formcheck/outputs.py``).

MediaPipe's native code logs straight to file descriptor 2 (about a hundred lines a run); unless
``--verbose`` is given, that descriptor points at /dev/null while a command runs and Python's own
messages go to a duplicate of the real stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.batch.inputs import BatchInputError
from formcheck.history.errors import HistoryError
from formcheck.outputs import OutputError, StagedOutputs, stage_outputs

if TYPE_CHECKING:
    from formcheck.specs.schema import ExerciseSpec

EXIT_USER_ERROR = 2
# Under this many analysed frames a second, a rep or a fault can fall between two frames: the
# command says so (the Practice page warns under its own, higher, live threshold).
MIN_ANALYSED_FPS = 5.0


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


def _stage(
    outputs: Mapping[str, str | None],
    inputs: Iterable[Path],
    args: argparse.Namespace,
    update: Iterable[str] = (),
) -> StagedOutputs:
    """The command's outputs checked against its inputs (and the specs, the model and the
    history database, which every analysing command reads or may write) before any work
    starts."""
    from formcheck.history.database import database_files
    from formcheck.pose.model_store import default_model_path
    from formcheck.specs.loader import specs_dir

    model = getattr(args, "model", None)
    read = [*inputs, *specs_dir().glob("*.yaml"), *database_files()]
    read.append(Path(model).expanduser() if model else default_model_path())
    return stage_outputs(outputs, read, force=args.force, update=update)


def _json_text(data: Any) -> str:
    from formcheck.results import NonFiniteNumberError, json_text

    try:
        return json_text(data)
    except NonFiniteNumberError as exc:
        raise UserError(str(exc)) from None


def cmd_analyze(args: argparse.Namespace) -> int:
    """`formcheck analyze`: one video or landmark file through the engine, with the JSON result,
    annotated video, saved landmarks and history entry that were asked for."""
    from formcheck.analyze import analyze_recording
    from formcheck.history import cli as history_cli
    from formcheck.results import RunInfo, to_dict
    from formcheck.source.recording import LANDMARKS_SUFFIX

    spec = _load_spec(args.exercise)
    history_target = history_cli.open_target(args)  # an unknown patient fails before the work
    path = Path(args.video)
    if args.annotate and path.suffix.lower() == LANDMARKS_SUFFIX:
        raise UserError("--annotate needs the video, not a landmark file")
    if args.save_landmarks and Path(args.save_landmarks).suffix != LANDMARKS_SUFFIX:
        raise UserError(f"--save-landmarks {args.save_landmarks}: the file name must end in .npz")
    outputs = {
        "--json": args.json,
        "--annotate": args.annotate,
        "--save-landmarks": args.save_landmarks,
    }
    with _stage(outputs, [path], args) as staged:
        recording = _open_recording(path)
        if args.annotate and recording.video is not None:
            _check_annotatable(recording.video, Path(args.annotate))
        model = None if recording.is_landmarks else _model_path(args.model)
        bar, update = _progress_bar(recording.duration_s, sys.stderr.isatty() and not args.quiet)
        with bar, _recording_errors():
            done = analyze_recording(spec, recording, model, side=args.side, progress=update)
        analysis = done.analysis
        _warn_low_frame_rate(len(analysis.states), done.duration_s)
        data = to_dict(
            analysis.result,
            RunInfo(path.name, done.duration_s, analysis.processing_s, done.model_name),
        )
        text = _json_text(data)
        if staged.wanted("--save-landmarks"):
            analysis.series.save(staged.path("--save-landmarks"))
        if staged.wanted("--annotate"):
            _write_annotated(path, staged, spec, analysis)
        if staged.wanted("--json"):
            staged.path("--json").write_text(text, encoding="utf-8")
        staged.commit()
    if not args.quiet:
        _print_summary(data)
    if not args.json and args.quiet:
        print(text, end="")
    history_cli.save_analysis(history_target, data, spec)
    return 0


def _warn_low_frame_rate(frames: int, duration_s: float) -> None:
    """One ``formcheck: warning:`` line when fewer than :data:`MIN_ANALYSED_FPS` frames a second
    were analysed (a slide-show clip, a replay saved from every 10th frame)."""
    if frames < 2 or duration_s <= 0:
        return
    rate = (frames - 1) / duration_s if frames > 1 else 0.0
    if rate < MIN_ANALYSED_FPS:
        print(
            f"formcheck: warning: only {rate:.1f} frames a second were analysed (under "
            f"{MIN_ANALYSED_FPS:g}): reps, holds and faults between frames can be missed; "
            "record at 15 frames a second or more",
            file=sys.stderr,
        )


def _open_recording(path: Path) -> Any:
    from formcheck.source.recording import RecordingError, open_recording

    try:
        return open_recording(path)
    except RecordingError as exc:
        raise UserError(str(exc)) from None


@contextlib.contextmanager
def _recording_errors() -> Iterator[None]:
    """A recording that fails part-way, or a model that cannot load: one line, exit 2."""
    from formcheck.pose.model_store import ModelInstallError
    from formcheck.source.recording import RecordingError

    try:
        yield
    except (RecordingError, ModelInstallError) as exc:
        raise UserError(str(exc)) from None


def _check_annotatable(info: Any, out: Path) -> None:
    from formcheck.render.annotate import check_annotatable
    from formcheck.source.video import VideoError

    try:
        check_annotatable(info, out)
    except VideoError as exc:
        raise UserError(f"--annotate {out}: {exc}") from None


def _write_annotated(video: Path, staged: StagedOutputs, spec: ExerciseSpec, analysis: Any) -> None:
    from formcheck.render.annotate import write_annotated
    from formcheck.source.video import VideoError

    try:
        write_annotated(video, staged.path("--annotate"), spec, analysis)
    except VideoError as exc:
        raise UserError(f"--annotate {staged.target('--annotate')}: {exc}") from None


# What the summary says when the model found nobody: the numbers alone ("assessable 0%") do not.
NO_PERSON_LINE = (
    "  No person was found in this video, so nothing could be judged: check that the whole "
    "body is in the frame, well lit, and the right file was given."
)


def _print_summary(data: dict[str, Any]) -> None:
    reps = data["reps"]
    print(
        f"{data['exercise']}: {reps['count']} reps ({reps['good']} good, {reps['faulty']} faulty), "
        f"view {data['view']}, side {data['side']}, "
        f"assessable {data['assessable_fraction']:.0%} of {data['frames']} frames"
    )
    if not data.get("person_found", True):
        print(NO_PERSON_LINE)
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
    """`formcheck list-exercises`: one line per exercise: id, kind, camera views and title."""
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
    """`formcheck validate-specs`: check spec files and programs, naming each one that fails and
    why."""
    from formcheck.programs import ProgramError, load_program_file, programs_dir
    from formcheck.specs.loader import SpecError, scan_specs, specs_dir

    folder = Path(args.folder) if args.folder else specs_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise UserError(f"no spec files (*.yaml) in {folder}")
    # Each file is loaded on its own: one line per invalid file, and a program is judged only
    # by the specs it names.
    try:
        scan = scan_specs(folder)
    except SpecError as exc:
        raise UserError(str(exc)) from None
    for problem in scan.errors.values():
        print(f"INVALID {' '.join(str(problem).split())}", file=sys.stderr)
    failures = len(scan.errors)
    print(f"{len(scan.files) - failures} of {len(scan.files)} specs valid")
    # A folder of specs is checked alone; programs only when asked for (--programs, judged by
    # this folder's specs) or with the installed specs.
    pfolder = Path(args.programs) if args.programs else None if args.folder else programs_dir()
    pfiles = sorted(pfolder.glob("*.yaml")) if pfolder and pfolder.is_dir() else []
    if pfiles:
        pfail = 0
        for f in pfiles:
            try:
                load_program_file(f, scan.specs, scan.errors)
            except ProgramError as exc:
                pfail += 1
                print(f"INVALID {' '.join(str(exc).split())}", file=sys.stderr)
        print(f"{len(pfiles) - pfail} of {len(pfiles)} programs valid")
        failures += pfail
    if failures:
        raise UserError(f"{failures} invalid file(s), each listed above with its reason")
    return 0


def cmd_program(args: argparse.Namespace) -> int:
    """`formcheck program`: run a program over one recording per exercise, as it would run live."""
    from formcheck.programs import ProgramError, ProgramRunner, load_program_file, run_recordings
    from formcheck.specs.loader import SpecError, scan_specs

    recordings = [Path(name) for name in args.inputs if name != "-"]
    with _stage({"--json": args.json}, [Path(args.program), *recordings], args) as staged:
        try:
            # One broken spec file stops only a program that names it (said so by name).
            scan = scan_specs()
            specs = scan.specs
            program = load_program_file(Path(args.program), specs, scan.errors)
        except (SpecError, ProgramError) as exc:
            raise UserError(str(exc)) from None
        if args.ignore_rest:
            program = program.model_copy(
                update={
                    "exercises": [e.model_copy(update={"rest_s": 0.0}) for e in program.exercises]
                }
            )
        if len(args.inputs) > len(program.exercises):
            raise UserError(
                f"{len(args.inputs)} recordings for {len(program.exercises)} exercises in "
                f"{program.id}: give at most one per exercise, in program order"
            )
        from formcheck.source.poses import recording_poses

        opened = [None if name == "-" else _open_recording(Path(name)) for name in args.inputs]
        model = None
        if any(r is not None and not r.is_landmarks for r in opened):
            model = _model_path(args.model)
        streams = [None if r is None else recording_poses(r, model) for r in opened]
        runner = ProgramRunner(program, specs)
        with _recording_errors():
            empty = run_recordings(runner, streams)
        nobody = [args.inputs[i] for i in empty]
        data = runner.summary()
        text = _json_text(data)
        if staged.wanted("--json"):
            staged.path("--json").write_text(text, encoding="utf-8")
        staged.commit()
    for name in nobody:
        print(f"No person was found in {name}, so nothing in it could be judged.")
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


def cmd_models_install(args: argparse.Namespace) -> int:
    """`formcheck models install`: download or build the pose model into the cache."""
    from formcheck.pose.model_store import ModelInstallError, install_model

    try:
        path = install_model(force=args.force, offline_only=args.offline)
    except ModelInstallError as exc:
        raise UserError(str(exc)) from None
    print(f"pose model ready: {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """`formcheck bench`: time the pose model and the whole pipeline on one video."""
    from formcheck.bench import benchmark
    from formcheck.pose.model_store import ModelInstallError
    from formcheck.source.video import VideoError

    spec = _load_spec(args.exercise)
    path = Path(args.video)
    if _open_recording(path).is_landmarks:
        raise UserError(f"{path}: bench times the pose model, so it needs a video")
    try:
        report = benchmark(path, spec, _model_path(args.model), repeats=args.repeats)
    except (VideoError, ModelInstallError) as exc:
        raise UserError(str(exc)) from None
    print(json.dumps(report))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """`formcheck evaluate`: score the analysis against a folder of hand-labelled clips."""
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UserError(f"no such folder: {folder}")
    from formcheck.corpus.manifest import MANIFEST_NAME

    if not (folder / MANIFEST_NAME).exists():
        rendered = " (rendered clips with truth files are scored from a checkout with "
        rendered += f"python -m tools.synth evaluate {folder})"
        raise UserError(
            f"no {MANIFEST_NAME} of hand labels in {folder}; see docs/ACCURACY.md for its format"
            + (rendered if any(folder.glob("*.truth.json")) else "")
        )
    if args.readme:
        _readme_text(args)  # no markers, no analysis
    # Every file of the evaluated folder is an input: reports go elsewhere or under new names.
    inputs = [p for p in folder.iterdir() if p.is_file()]
    outputs = {"--json": args.json, "--markdown": args.markdown, "--readme": args.readme}
    with _stage(outputs, inputs, args, update=("--readme",)) as staged:
        _evaluate_corpus(args, folder, staged)
        staged.commit()
    return 0


def _readme_text(args: argparse.Namespace) -> str:
    """The text of ``--readme``, checked to hold one accuracy block to rewrite."""
    from formcheck.corpus.readme import ReadmeBlockError, check_markers

    if args.frame_step != 1 or args.as_live:
        raise UserError(
            "--readme writes the README's table of figures from every frame of the files "
            "themselves; run it without --frame-step and --as-live"
        )
    path = Path(args.readme)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UserError(f"cannot read --readme {path}: {reason}") from None
    try:
        check_markers(text)
    except ReadmeBlockError as exc:
        raise UserError(f"--readme {path}: {exc}") from None
    return text


def _evaluate_corpus(args: argparse.Namespace, folder: Path, staged: StagedOutputs) -> None:
    """Labelled real clips (a manifest.json): counts, holds and faults against the labels."""
    import shlex

    from formcheck.corpus.manifest import ManifestError
    from formcheck.corpus.report import format_table, markdown
    from formcheck.corpus.run import evaluate_corpus
    from formcheck.pose.model_store import ModelInstallError
    from formcheck.source.recording import RecordingError
    from formcheck.source.video import VideoError

    jobs = args.jobs or os.cpu_count() or 1
    cache = Path(args.landmarks_cache) if args.landmarks_cache else None
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
            folder,
            model,
            cache,
            jobs=jobs,
            check_model=lambda: _model_path(args.model),
            frame_step=args.frame_step,
            as_live=args.as_live,
        )
    except (ManifestError, VideoError, RecordingError, ModelInstallError) as exc:
        raise UserError(str(exc)) from None
    print(format_table(report))
    if staged.wanted("--json"):
        staged.path("--json").write_text(_json_text(report.to_json()), encoding="utf-8")
    command = shlex.join(["formcheck", *args.command_line])
    if staged.wanted("--markdown"):
        staged.path("--markdown").write_text(markdown(report, command), encoding="utf-8")
    if staged.wanted("--readme"):
        import shutil

        from formcheck.corpus.readme import accuracy_block, rewrite_block

        # Read again now: an edit made to the README while the clips were scored is kept.
        text = rewrite_block(_readme_text(args), accuracy_block(report, command))
        staged.path("--readme").write_text(text, encoding="utf-8")
        shutil.copymode(staged.target("--readme"), staged.path("--readme"))


def _frame_step(text: str) -> int:
    """``--frame-step``: a whole number of 1 or more (argparse reports anything else)."""
    try:
        step = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if step < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {step}")
    return step


_FORCE_HELP = "replace output files that already exist (an input is never replaced)"
_VERBOSE_HELP = "show the pose model's own log lines (MediaPipe, TFLite), hidden by default"


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: every subcommand and option, each bound to the function that
    runs it."""
    from formcheck.batch import cli as batch_cli
    from formcheck.history import cli as history_cli
    from formcheck.report import cli as report_cli

    parser = argparse.ArgumentParser(
        prog="formcheck", description="Check physiotherapy exercise form in a video."
    )
    parser.add_argument("--verbose", action="store_true", help=_VERBOSE_HELP)
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
    p.add_argument("--force", action="store_true", help=_FORCE_HELP)
    history_cli.add_analyze_options(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("list-exercises", help="list exercise ids")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "validate-specs",
        help="check every exercise spec and program (a FOLDER of specs: those specs only)",
    )
    p.add_argument(
        "folder", nargs="?", help="folder of specs (default: the ones installed with formcheck)"
    )
    p.add_argument(
        "--programs",
        metavar="FOLDER",
        help="folder of programs, checked against the specs checked (default: the installed "
        "programs, when no FOLDER is given)",
    )
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
    p.add_argument("--force", action="store_true", help=_FORCE_HELP)
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
        help="score the analysis on labelled clips of real people",
        description="A folder with a manifest.json of hand labels (see docs/ACCURACY.md) is "
        "scored against its labels: rep counts, hold times, fault rules, frames that could not "
        "be judged.",
    )
    p.add_argument("folder", help="labelled clips (a folder with a manifest.json)")
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
    p.add_argument(
        "--readme",
        metavar="README.md",
        help="rewrite the accuracy table between the file's <!-- accuracy:start --> and "
        "<!-- accuracy:end --> lines; nothing else in it changes (no --force needed)",
    )
    p.add_argument(
        "--frame-step",
        type=_frame_step,
        default=1,
        metavar="N",
        help="score from every Nth frame, as from a camera giving 1/N of each clip's frame rate "
        "(2 on 30 fps clips: 15 fps); the landmarks are still those found on every frame",
    )
    p.add_argument(
        "--as-live",
        action="store_true",
        help="run the model on each frame as the Practice page receives a camera's: fitted into "
        "640x480 and VP8-compressed at 800 kbit/s (cached apart from the file's own frames)",
    )
    p.add_argument("--force", action="store_true", help=_FORCE_HELP)
    p.set_defaults(func=cmd_evaluate)

    for command in [*sub.choices.values(), *msub.choices.values()]:
        # Accepted after the subcommand too; SUPPRESS keeps the global flag's value when absent.
        command.add_argument(
            "--verbose", action="store_true", default=argparse.SUPPRESS, help=_VERBOSE_HELP
        )
    history_cli.register(sub)
    report_cli.register(sub)
    batch_cli.register(sub)
    return parser


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for native code; Python's messages still show.

    MediaPipe's C++ and TFLite code write their log lines straight to descriptor 2 (measured:
    about 100 lines a run; GLOG_minloglevel and TF_CPP_MIN_LOG_LEVEL change none of them), so
    only moving the descriptor silences them. ``sys.stderr`` is reopened on a duplicate of the
    real descriptor when it wrote to 2; a replaced ``sys.stderr`` (tests) is left as it is.
    """
    python_stderr = sys.stderr
    try:
        python_uses_fd2 = python_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # None, or a stream without a descriptor
        python_uses_fd2 = False
    if python_stderr is not None:
        python_stderr.flush()
    saved = os.dup(2)
    if python_uses_fd2:
        sys.stderr = open(  # noqa: SIM115 - closed in the finally below
            os.dup(saved),
            "w",
            buffering=1,
            encoding=getattr(python_stderr, "encoding", None),
            errors=getattr(python_stderr, "errors", None),
        )
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        if sys.stderr is not python_stderr:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)


class Terminated(Exception):
    """The process was asked to stop (SIGTERM): unwound like Ctrl-C, so outputs are cleaned up."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM (a service manager, ``kill``) raises :class:`Terminated` in the main thread, so the
    outputs under way are removed as on Ctrl-C instead of left half-written."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a handler (main() called from a worker thread)
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the command's exit status, or 2 for a mistake of the user's
    (told in one line on stderr), 130 when interrupted, 143 when stopped by SIGTERM."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = list(sys.argv[1:] if argv is None else argv)
    with (
        contextlib.nullcontext() if args.verbose else _native_stderr_silenced(),
        _sigterm_unwinds(),
    ):
        try:
            code: int = args.func(args)
            return code
        except (UserError, OutputError, HistoryError, BatchInputError) as exc:
            _err(str(exc))
            return EXIT_USER_ERROR
        except KeyboardInterrupt:
            _err("interrupted")
            return 130
        except Terminated:
            _err("stopped (SIGTERM)")
            return 143
        except OSError as exc:  # disk full, permission denied on an output path...
            _err(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "))
            return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
