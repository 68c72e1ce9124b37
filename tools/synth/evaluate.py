"""Score the analysis against rendered clips whose truth is known (``python -m tools.synth
evaluate DIR``).

For every ``<clip>.truth.json`` in a folder (written by :mod:`tools.synth`), the clip is run
through the real pose model and the engine, and compared with the truth:

- reps: is the count exact?
- holds: each true hold (time the true hold signal is in the spec's target band through the
  scripted hold and the stay in the band either side of it, minus time inside an injected fault of
  a rule that stops the clock: an error judged during the hold) against the engine's hold with the
  most overlap, absolute error in seconds;
- faults, per rule: an injected interval is found if the engine reports that rule overlapping it
  (recall); a reported fault that overlaps no injected interval of its rule, or any fault on a
  clean clip, is a false positive (precision);
- angles: RMSE in degrees of ``FrameState.signals[name]`` against the same signal computed from
  the true landmarks with the true view and the side the engine used, at the same timestamp;
- detection: the fraction of frames with a pose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.analyze import Analysis, replay_series, run_poses
from formcheck.engine.holds import SettleDetector
from formcheck.engine.session import stops_hold_clock
from formcheck.signals.catalog import SIGNALS, SignalContext
from formcheck.specs.loader import load_spec
from formcheck.specs.schema import ExerciseSpec
from tools.synth.clip import TRUTH_SUFFIX, seen_view, truth_frame

OVERLAP_SLACK_S = 0.25
SAGITTAL = (
    "knee_flexion_deg",
    "hip_flexion_deg",
    "spine_flexion_deg",
    "min_hip_flexion_deg",
    "max_hip_flexion_deg",
    "trunk_incline_deg",
)


@dataclass
class ClipScore:
    name: str
    exercise: str
    view: str
    fault: str | None
    magnitude: float
    reps_true: int
    reps_found: int
    hold_errors_s: list[float]
    fault_tp: dict[str, int]  # reported faults overlapping an injected interval
    fault_fp: dict[str, int]
    fault_found: dict[str, int]  # injected intervals found
    fault_injected: dict[str, int]
    angle_sq: dict[str, tuple[float, int]]  # sum of squared errors, samples
    detection_rate: float
    reported_faults: list[dict[str, Any]]
    # Rules the camera view could not judge (share of the frames they were due): not a pass.
    rules_not_checked: dict[str, float]
    # A view the spec's camera set-up does not name is still counted and timed; its rules that
    # the view cannot judge say so (rules_not_checked).
    view_recommended: bool = True  # a view the spec's camera set-up names
    holds_found: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "clip": self.name,
            "exercise": self.exercise,
            "view": self.view,
            "fault": self.fault,
            "magnitude": self.magnitude,
            "reps_true": self.reps_true,
            "reps_found": self.reps_found,
            "reps_exact": self.reps_true == self.reps_found,
            "hold_abs_err_s": [round(e, 3) for e in self.hold_errors_s],
            "fault_injected": self.fault_injected,
            "fault_found": self.fault_found,
            "fault_false_positives": self.fault_fp,
            "reported_faults": self.reported_faults,
            "rules_not_checked": {r: round(v, 3) for r, v in self.rules_not_checked.items()},
            "view_recommended": self.view_recommended,
            "holds_found": self.holds_found,
            "angle_rmse_deg": {
                k: round(math.sqrt(s / n), 2) for k, (s, n) in self.angle_sq.items() if n
            },
            "detection_rate": round(self.detection_rate, 4),
        }


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 <= b1 + OVERLAP_SLACK_S and b0 <= a1 + OVERLAP_SLACK_S


def _true_holds(spec: ExerciseSpec, truth: dict[str, Any]) -> list[tuple[str, float]]:
    """(side, seconds) of each scripted hold, counted the way the engine should count it.

    A scripted hold runs from the start of the move into the stretch to the start of the move out
    of it; the person is in position while the true signals are in the stretch's posture (and,
    where the spec sets one, past its minimum depth). The stay is followed past both ends of the
    script's interval for as long as the person stays in position without a break: easing out of
    a stretch takes a few tenths of a second before the posture is actually left, and that time
    is in position by the spec's own definition.
    """
    if spec.hold is None:
        return []
    frames = truth["frames"]
    times = [float(f["t_s"]) for f in frames]
    in_band = _in_position(spec, truth)
    dt = 1.0 / float(truth["fps"])
    # Only faults of rules that stop the engine's clock are taken out of the true hold.
    stopping = {r.id for r in spec.rules if stops_hold_clock(r)}
    clock_stoppers = [x for x in truth["faults"] if x["rule"] in stopping]
    out = []
    for h in truth["holds"]:
        inside = [i for i, t in enumerate(times) if h["start_s"] - dt <= t <= h["end_s"] + dt]
        first, last = (inside[0], inside[-1]) if inside else (0, -1)
        while first > 0 and in_band[first] and in_band[first - 1]:
            first -= 1
        while last + 1 < len(frames) and in_band[last] and in_band[last + 1]:
            last += 1
        first, last = _settled_span(spec, frames, times, first, last, in_band)
        total = 0.0
        for i in range(first, last + 1):
            faulted = any(x["start_s"] <= times[i] <= x["end_s"] for x in clock_stoppers)
            if in_band[i] and not faulted:
                total += dt
        out.append((str(h.get("side", "none")), total))
    return out


def _in_position(spec: ExerciseSpec, truth: dict[str, Any]) -> list[bool]:
    """Per frame: are the true signals in the hold's posture (and past its target, if any)?
    Signals the truth file did not store are computed from the true landmarks."""
    hold = spec.hold
    if hold is None:
        return []
    names = {name for alternative in hold.posture for name in alternative}
    out = []
    for i, f in enumerate(truth["frames"]):
        stored = f["signals"]["left"]
        values = {n: float(stored[n]) for n in names if n in stored}
        missing = names - set(values)
        if missing:
            frame, ctx = truth_frame(truth, i), SignalContext(truth["view"], "left")
            values |= {n: float(SIGNALS[n].fn(frame, ctx)) for n in missing}
        in_posture = any(
            all(band.contains(values[n]) for n, band in alternative.items())
            for alternative in hold.posture
        )
        deep = hold.target is None or hold.target.contains(float(stored[hold.signal]))
        out.append(in_posture and deep)
    return out


def _settled_span(
    spec: ExerciseSpec,
    frames: list[dict[str, Any]],
    times: list[float],
    first: int,
    last: int,
    positioned: list[bool],
) -> tuple[int, int]:
    """Where a hold with a settle gate (``hold.settle_within``) begins and ends, judged on the
    true signal by the engine's own definition (:class:`SettleDetector`): from the start of the
    first still window in the position to the last frame at the level where the person rested
    (the way into the stretch and the way out of it are not the hold)."""
    hold = spec.hold
    if hold is None or hold.settle_within is None:
        return first, last
    values = [float(f["signals"]["left"][hold.signal]) for f in frames]
    # The engine watches the signal from when the person takes the position.
    while first <= last and not positioned[first]:
        first += 1
    detector = SettleDetector(hold.settle_s, hold.settle_within)
    start, end = last + 1, last
    for i in range(first, last + 1):
        in_band = positioned[i]
        still = detector.update(times[i], values[i] if in_band else math.nan)
        if still and start > last:
            start = next(j for j in range(first, i + 1) if times[j] >= detector.still_since_s)
        if start <= last and detector.at_rest:
            end = i
    return start, end


def score_clip(truth: dict[str, Any], analysis: Analysis, spec: ExerciseSpec) -> ClipScore:
    res = analysis.result
    fps = float(truth["fps"])
    frames = truth["frames"]
    # Holds: each true hold against the engine's hold overlapping it most.
    hold_errors = []
    for (_side, seconds), h in zip(_true_holds(spec, truth), truth["holds"], strict=True):
        best = 0.0
        best_overlap = 0.0
        for eh in res.holds:
            ov = min(eh.end_s, h["end_s"]) - max(eh.start_s, h["start_s"])
            if ov > best_overlap:
                best_overlap, best = ov, eh.duration_s
        hold_errors.append(abs(best - seconds))
    # Faults per rule.
    # The engine may report rules that are not in the spec's list (e.g. ``too_fast`` reps).
    rules = (
        {r.id for r in spec.rules}
        | {f.rule for f in res.faults}
        | {f["rule"] for f in truth["faults"]}
    )
    injected = {r: [f for f in truth["faults"] if f["rule"] == r] for r in rules}
    tp = dict.fromkeys(rules, 0)
    fp = dict.fromkeys(rules, 0)
    found = dict.fromkeys(rules, 0)
    for f in res.faults:
        hit = any(_overlaps(f.start_s, f.end_s, i["start_s"], i["end_s"]) for i in injected[f.rule])
        if hit:
            tp[f.rule] += 1
        else:
            fp[f.rule] += 1
    for r, ivs in injected.items():
        for i in ivs:
            if any(
                f.rule == r and _overlaps(f.start_s, f.end_s, i["start_s"], i["end_s"])
                for f in res.faults
            ):
                found[r] += 1
    # Angles: the engine's smoothed signal against the truth with the engine's side.
    angle_sq: dict[str, tuple[float, int]] = {}
    wanted = [n for n in spec.signals if SIGNALS[n].unit == "deg"]
    for state in analysis.states:
        if not state.signals or state.side not in ("left", "right", "both"):
            continue
        i = round(state.t_s * fps)
        if not 0 <= i < len(frames):
            continue
        from tools.synth.clip import truth_frame

        pf = truth_frame(truth, i)
        ctx = SignalContext(seen_view(truth["view"]), state.side)
        for name in wanted:
            got = state.signals.get(name, math.nan)
            want = SIGNALS[name].fn(pf, ctx)
            if math.isnan(got) or math.isnan(want):
                continue
            s, n = angle_sq.get(name, (0.0, 0))
            angle_sq[name] = (s + (got - want) ** 2, n + 1)
    return ClipScore(
        name=str(truth["clip"]),
        exercise=spec.id,
        view=str(truth["view"]),
        fault=truth.get("fault"),
        magnitude=float(truth.get("magnitude") or 0.0),
        reps_true=len(truth["reps"]),
        reps_found=len(res.reps),
        hold_errors_s=hold_errors,
        fault_tp=tp,
        fault_fp=fp,
        fault_found=found,
        fault_injected={r: len(v) for r, v in injected.items()},
        angle_sq=angle_sq,
        detection_rate=res.frames_with_pose / res.frames if res.frames else 0.0,
        reported_faults=[
            {"rule": f.rule, "start_s": round(f.start_s, 2), "end_s": round(f.end_s, 2)}
            for f in res.faults
        ],
        rules_not_checked=dict(res.rules_unchecked),
        view_recommended=seen_view(truth["view"]) in spec.camera.views,
        holds_found=len(res.holds),
    )


def evaluate_clip(truth_path: Path, model_path: Path) -> ClipScore:
    """One clip through the pose model and the engine, scored against its truth."""
    from formcheck.source.poses import video_poses
    from tools.synth.clip import load_truth

    truth = load_truth(truth_path)
    spec = load_spec(truth["exercise"])
    video = truth_path.parent / truth["clip"]
    analysis = run_poses(spec, video_poses(video, model_path))
    return score_clip(truth, analysis, spec)


def _evaluate_cached(
    paths: list[Path], model_path: Path, cache_dir: Path, jobs: int
) -> list[ClipScore]:
    """Every clip's landmarks from the cache, or from the model on ``jobs`` processes into it
    (the same extraction as the labelled corpus, keyed by the video's and the model's sha256),
    then the engine replayed over them: the same result as running the model in line."""
    from formcheck.corpus.landmarks_cache import landmarks_for_clips
    from tools.synth.clip import load_truth

    truths = [load_truth(p) for p in paths]
    videos = [p.parent / t["clip"] for p, t in zip(paths, truths, strict=True)]
    series = landmarks_for_clips(videos, model_path, cache_dir, jobs=jobs)
    scores = []
    for truth, video in zip(truths, videos, strict=True):
        spec = load_spec(truth["exercise"])
        scores.append(score_clip(truth, replay_series(spec, series[video]), spec))
    return scores


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarize(all_scores: list[ClipScore]) -> dict[str, Any]:
    # Every view is scored: a view the spec does not recommend is still counted and timed.
    scores = list(all_scores)
    rules = sorted({r for s in scores for r in s.fault_injected})
    rep_clips = [s for s in scores if s.reps_true > 0 or load_spec(s.exercise).reps is not None]
    holds = [e for s in scores for e in s.hold_errors_s]
    sq: dict[str, list[float]] = {}
    side_sq: dict[str, list[float]] = {}
    for s in scores:
        for k, (v, n) in s.angle_sq.items():
            acc = sq.setdefault(k, [0.0, 0])
            acc[0] += v
            acc[1] += n
            if s.view == "side":
                acc = side_sq.setdefault(k, [0.0, 0])
                acc[0] += v
                acc[1] += n
    return {
        "clips": len(all_scores),
        "clips_in_refused_views": len(all_scores) - len(scores),
        "reps_exact_rate": _ratio(
            sum(s.reps_true == s.reps_found for s in rep_clips), len(rep_clips)
        ),
        "hold_abs_err_s": {
            "mean": round(float(np.mean(holds)), 3) if holds else None,
            "max": round(max(holds), 3) if holds else None,
        },
        "fault_precision": {
            r: _ratio(
                sum(s.fault_tp.get(r, 0) for s in scores),
                sum(s.fault_tp.get(r, 0) + s.fault_fp.get(r, 0) for s in scores),
            )
            for r in rules
        },
        "fault_recall": {
            r: _ratio(
                sum(s.fault_found.get(r, 0) for s in scores),
                sum(s.fault_injected.get(r, 0) for s in scores),
            )
            for r in rules
        },
        "fault_false_positives": {r: sum(s.fault_fp.get(r, 0) for s in scores) for r in rules},
        "angle_rmse_deg": {k: round(math.sqrt(v / n), 2) for k, (v, n) in sq.items() if n},
        "side_view_sagittal_rmse_deg": {
            k: round(math.sqrt(v / n), 2) for k, (v, n) in side_sq.items() if n and k in SAGITTAL
        },
        "detection_rate": {
            "min": round(min(s.detection_rate for s in all_scores), 4),
            "mean": round(float(np.mean([s.detection_rate for s in all_scores])), 4),
        }
        if all_scores
        else None,
    }


def evaluate_dir(
    folder: Path, model_path: Path, landmarks_cache: Path | None = None, jobs: int = 1
) -> dict[str, Any]:
    """Evaluate every clip with a truth file in ``folder``; with ``landmarks_cache``, through
    cached landmarks (extracted on ``jobs`` processes when missing)."""
    paths = sorted(folder.glob(f"*{TRUTH_SUFFIX}"))
    if landmarks_cache is not None:
        scores = _evaluate_cached(paths, model_path, landmarks_cache, jobs)
    else:
        scores = [evaluate_clip(p, model_path) for p in paths]
    return {"per_clip": [s.to_json() for s in scores], "total": summarize(scores)}


def format_table(report: dict[str, Any]) -> str:
    lines = [
        f"{'clip':44s} {'reps':>7s} {'hold err':>9s} {'faults found/inj (fp)':>24s} "
        f"{'det':>6s}  angle rmse"
    ]
    for c in report["per_clip"]:
        reps = f"{c['reps_found']}/{c['reps_true']}"
        hold = ",".join(f"{e:.2f}" for e in c["hold_abs_err_s"]) or "-"
        faults = (
            " ".join(
                f"{r}:{c['fault_found'][r]}/{c['fault_injected'][r]}"
                f"({c['fault_false_positives'][r]})"
                for r in c["fault_injected"]
                if c["fault_injected"][r] or c["fault_false_positives"][r]
            )
            or "-"
        )
        ang = " ".join(f"{k.replace('_deg', '')}={v:.1f}" for k, v in c["angle_rmse_deg"].items())
        if not c.get("view_recommended", True):
            ang = f"(a view the spec does not recommend)  {ang}"
        lines.append(
            f"{c['clip']:44s} {reps:>7s} {hold:>9s} {faults:>24s} "
            f"{c['detection_rate']:>6.1%}  {ang}"
        )
    unchecked = [
        f"{c['clip']}: " + ", ".join(f"{r} {v:.0%}" for r, v in c["rules_not_checked"].items())
        for c in report["per_clip"]
        if c.get("rules_not_checked")
    ]
    if unchecked:
        lines.append("")
        lines.append("not checked in the clip's view (share of the time the rule was due):")
        lines.extend(f"  {u}" for u in unchecked)
    t = report["total"]
    lines.append("")
    lines.append(
        f"reps exact rate: {t['reps_exact_rate']}   hold abs err (s): {t['hold_abs_err_s']}"
    )
    lines.append(f"fault precision: {t['fault_precision']}")
    lines.append(f"fault recall:    {t['fault_recall']}")
    lines.append(f"angle RMSE (deg): {t['angle_rmse_deg']}")
    lines.append(f"side-view sagittal RMSE (deg): {t['side_view_sagittal_rmse_deg']}")
    lines.append(f"detection rate: {t['detection_rate']}")
    return "\n".join(lines)
