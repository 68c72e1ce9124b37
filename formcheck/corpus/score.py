"""One labelled real clip's analysis against its hand labels, and the totals over a corpus.

What is compared (a label the manifest leaves empty is not scored):

- reps: the count, when the clip's spec counts reps and the label gives ``rep_count``;
- holds: the longest stay in position (holds and short stays), when the spec times a hold and the
  label gives ``hold_seconds`` (the labelled longest hold);
- faults: each rule in ``expect_faults`` against whether the engine reported it. A rule the camera
  view left unjudged for most of the time it applied is "not checked": never a pass, and a miss
  when the fault was there;
- cannot judge: the share of frames the engine could not judge (no person, landmarks too hidden,
  a view the exercise does not accept); frames before the start position are not counted;
- ``too_fast`` on calm clips (every clip except explosive exercises such as jump squats).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from formcheck.analyze import Analysis
from formcheck.corpus.manifest import ClipLabel
from formcheck.specs.schema import ExerciseSpec

Verdict = Literal["tp", "fp", "fn", "tn", "not_checked"]

# A rule unjudged for more than this share of the frames it was due is "not checked" on the clip.
NOT_CHECKED_SHARE = 0.5
HOLD_TOLERANCE_S = 1.0
CANNOT_JUDGE_REASONS = ("no_person", "low_confidence")
# Exercises fast by design: their quick reps are not a tempo fault.
EXPLOSIVE_WORDS = ("jump",)
TOO_FAST = "too_fast"


@dataclass(frozen=True)
class ClipScore:
    """One labelled clip: what its labels expect against what the engine found."""

    file: str
    spec: str
    label_view: str
    view: str  # what the engine saw
    reps_expected: int | None
    reps_found: int | None
    hold_expected_s: float | None
    hold_found_s: float | None  # longest stay in position, 0.0 when none
    faults: dict[str, Verdict]
    fault_expected: dict[str, bool]
    reported_faults: list[dict[str, Any]]
    rules_not_checked: dict[str, float]
    cannot_judge_share: float
    whole_body_visible: bool
    calm: bool
    too_fast_reps: int
    rep_times_s: list[tuple[float, float]] = field(default_factory=list)
    stays_s: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def rep_error(self) -> int | None:
        """Reps found minus reps labelled; None when either is not known."""
        if self.reps_expected is None or self.reps_found is None:
            return None
        return self.reps_found - self.reps_expected

    @property
    def hold_error_s(self) -> float | None:
        """Longest stay in position found minus the labelled hold, in seconds; None when either is
        not known."""
        if self.hold_expected_s is None or self.hold_found_s is None:
            return None
        return self.hold_found_s - self.hold_expected_s

    @property
    def unlabelled_reports(self) -> dict[str, list[tuple[float, float]]]:
        """Faults the analysis reported on rules the label says nothing about (``too_fast`` is
        scored on its own): not scored, since the label does not say they are wrong, but each
        is a claim a patient would hear, so it is listed for a look at the frames."""
        out: dict[str, list[tuple[float, float]]] = {}
        for f in self.reported_faults:
            if f["rule"] in self.fault_expected or f["rule"] == TOO_FAST:
                continue
            out.setdefault(f["rule"], []).append((f["start_s"], f["end_s"]))
        return out

    def to_json(self) -> dict[str, Any]:
        """The score as JSON data, with the rep and hold errors."""
        data = asdict(self)
        data["rep_error"] = self.rep_error
        data["hold_error_s"] = None if self.hold_error_s is None else round(self.hold_error_s, 2)
        return data


def _verdict(expected: bool, flagged: bool, unchecked_share: float) -> Verdict:
    if not flagged and unchecked_share > NOT_CHECKED_SHARE:
        return "not_checked"
    if flagged:
        return "tp" if expected else "fp"
    return "fn" if expected else "tn"


def is_calm(label: ClipLabel) -> bool:
    """Is the exercise done at a calm pace (not explosive, like a jump squat)? Only on calm clips
    are ``too_fast`` reps false alarms."""
    text = label.exercise.lower()
    return not any(word in text for word in EXPLOSIVE_WORDS)


def score_clip(label: ClipLabel, spec: ExerciseSpec, analysis: Analysis) -> ClipScore:
    """One clip's analysis against its labels (the module docstring says what is compared)."""
    res = analysis.result
    stays = [*res.holds, *res.short_holds]
    flagged_rules = {f.rule for f in res.faults}
    faults = {
        rule: _verdict(expected, rule in flagged_rules, res.rules_unchecked.get(rule, 0.0))
        for rule, expected in label.expect_faults.items()
    }
    frames = len(analysis.states)
    cannot = sum(s.reason in CANNOT_JUDGE_REASONS for s in analysis.states)
    counts_reps = spec.reps is not None and label.rep_count is not None
    times_holds = spec.hold is not None and label.hold_seconds is not None
    return ClipScore(
        file=label.file,
        spec=spec.id,
        label_view=label.view,
        view=res.view,
        reps_expected=label.rep_count if counts_reps else None,
        reps_found=len(res.reps) if counts_reps else None,
        hold_expected_s=label.hold_seconds if times_holds else None,
        hold_found_s=round(max((h.duration_s for h in stays), default=0.0), 2)
        if times_holds
        else None,
        faults=faults,
        fault_expected=dict(label.expect_faults),
        reported_faults=[
            {"rule": f.rule, "start_s": round(f.start_s, 2), "end_s": round(f.end_s, 2)}
            for f in res.faults
        ],
        rules_not_checked={r: round(v, 3) for r, v in res.rules_unchecked.items()},
        cannot_judge_share=round(cannot / frames, 4) if frames else 1.0,
        whole_body_visible=label.whole_body_visible,
        calm=is_calm(label),
        too_fast_reps=sum(TOO_FAST in r.faults for r in res.reps),
        rep_times_s=[(round(r.start_s, 2), round(r.end_s, 2)) for r in res.reps],
        stays_s=[(round(h.start_s, 2), round(h.end_s, 2), round(h.duration_s, 2)) for h in stays],
    )


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def _rule_totals(scores: Iterable[ClipScore]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for s in scores:
        for rule, verdict in s.faults.items():
            row = out.setdefault(
                rule,
                {
                    "tp": 0,
                    "fp": 0,
                    "fn": 0,
                    "tn": 0,
                    "not_checked_faulty": 0,
                    "not_checked_clean": 0,
                },
            )
            if verdict == "not_checked":
                row["not_checked_faulty" if s.fault_expected[rule] else "not_checked_clean"] += 1
            else:
                row[verdict] += 1
    for row in out.values():
        tp, fp = row["tp"], row["fp"]
        # A fault reported as not checked was not found: it counts against recall.
        missed = row["fn"] + row["not_checked_faulty"]
        precision, recall = _rate(tp, tp + fp), _rate(tp, tp + missed)
        row["precision"], row["recall"] = precision, recall
        row["f1"] = (
            round(2 * precision * recall / (precision + recall), 3)
            if precision and recall
            else (0.0 if precision is not None and recall is not None else None)
        )
    return out


def summarize(scores: list[ClipScore]) -> dict[str, Any]:
    """Totals over clips: all together and per spec."""

    def block(group: list[ClipScore]) -> dict[str, Any]:
        reps = [s for s in group if s.rep_error is not None]
        holds = [s for s in group if s.hold_error_s is not None]
        errors = [abs(s.rep_error) for s in reps if s.rep_error is not None]
        hold_errors = [abs(s.hold_error_s) for s in holds if s.hold_error_s is not None]
        visible = [s for s in group if s.whole_body_visible]
        calm = [s for s in group if s.calm and s.reps_found]
        return {
            "clips": len(group),
            "rep_clips": len(reps),
            "reps_exact": sum(e == 0 for e in errors),
            "reps_exact_rate": _rate(sum(e == 0 for e in errors), len(reps)),
            "reps_off_by_one": sum(e == 1 for e in errors),
            "reps_off_by_more": sum(e > 1 for e in errors),
            "reps_mae": round(sum(errors) / len(errors), 3) if errors else None,
            "hold_clips": len(holds),
            "holds_found": sum((s.hold_found_s or 0.0) > 0 for s in holds),
            "holds_within_1s": sum(e <= HOLD_TOLERANCE_S for e in hold_errors),
            "hold_mae_s": round(sum(hold_errors) / len(hold_errors), 2) if hold_errors else None,
            "rules": _rule_totals(group),
            "cannot_judge_mean": round(sum(s.cannot_judge_share for s in visible) / len(visible), 3)
            if visible
            else None,
            "clips_cannot_judge_over_10pct": sum(s.cannot_judge_share > 0.1 for s in visible),
            "calm_rep_clips": len(calm),
            "calm_clips_with_too_fast": sum(s.too_fast_reps > 0 for s in calm),
            "too_fast_reps_on_calm_clips": sum(s.too_fast_reps for s in calm),
        }

    by_spec: dict[str, list[ClipScore]] = {}
    for s in scores:
        by_spec.setdefault(s.spec, []).append(s)
    return {
        "total": block(scores),
        "per_spec": {spec: block(group) for spec, group in sorted(by_spec.items())},
    }
