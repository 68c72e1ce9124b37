"""The corpus report as a terminal table and as the Markdown of docs/ACCURACY.md."""

from __future__ import annotations

from typing import Any

from formcheck.corpus.run import CorpusReport
from formcheck.corpus.score import ClipScore


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{value:.0%}"
    return str(value)


def _clip_line(s: ClipScore) -> str:
    parts = []
    if s.reps_expected is not None:
        mark = "" if s.rep_error == 0 else "  <-"
        parts.append(f"reps {s.reps_found}/{s.reps_expected}{mark}")
    if s.hold_expected_s is not None:
        err = s.hold_error_s or 0.0
        mark = "" if abs(err) <= 1.0 else "  <-"
        parts.append(f"hold {s.hold_found_s:.1f}/{s.hold_expected_s:.1f} s{mark}")
    for rule, verdict in s.faults.items():
        mark = "" if verdict in ("tp", "tn") else "  <-"
        parts.append(f"{rule} {verdict}{mark}")
    if s.too_fast_reps and s.calm:
        parts.append(f"too_fast on {s.too_fast_reps} calm reps  <-")
    parts.append(f"cannot judge {s.cannot_judge_share:.0%}")
    for rule, spans in s.unlabelled_reports.items():
        parts.append(f"also reported {rule} x{len(spans)}")
    return f"  {s.file:<58} {s.view:<8} " + "; ".join(parts)


def _unlabelled_lines(scores: list[ClipScore]) -> list[str]:
    """One line per clip and rule reported where the label is silent, with the times."""
    lines = []
    for s in sorted(scores, key=lambda s: (s.spec, s.file)):
        for rule, spans in s.unlabelled_reports.items():
            times = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in spans)
            lines.append(f"{s.file} ({s.view}): {rule} at {times}")
    return lines


def _spec_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for spec, b in [*summary["per_spec"].items(), ("TOTAL", summary["total"])]:
        rows.append(
            [
                spec,
                str(b["clips"]),
                f"{b['reps_exact']}/{b['rep_clips']}" if b["rep_clips"] else "-",
                str(b["reps_off_by_one"]) if b["rep_clips"] else "-",
                str(b["reps_off_by_more"]) if b["rep_clips"] else "-",
                _fmt(b["reps_mae"]),
                f"{b['holds_found']}/{b['hold_clips']}" if b["hold_clips"] else "-",
                f"{b['holds_within_1s']}/{b['hold_clips']}" if b["hold_clips"] else "-",
                _fmt(b["hold_mae_s"]),
                _fmt(b["cannot_judge_mean"], pct=True),
                f"{b['calm_clips_with_too_fast']}/{b['calm_rep_clips']}"
                if b["calm_rep_clips"]
                else "-",
            ]
        )
    return rows


SPEC_HEADER = [
    "spec",
    "clips",
    "reps exact",
    "off by 1",
    "off by >1",
    "rep MAE",
    "holds found",
    "holds within 1 s",
    "hold MAE s",
    "cannot judge",
    "calm clips with too_fast",
]
RULE_HEADER = [
    "rule",
    "TP",
    "FP",
    "FN",
    "TN",
    "not checked (faulty/clean)",
    "precision",
    "recall",
    "F1",
]


def _rule_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for rule, r in sorted(summary["total"]["rules"].items()):
        rows.append(
            [
                rule,
                str(r["tp"]),
                str(r["fp"]),
                str(r["fn"]),
                str(r["tn"]),
                f"{r['not_checked_faulty']}/{r['not_checked_clean']}",
                _fmt(r["precision"]),
                _fmt(r["recall"]),
                _fmt(r["f1"]),
            ]
        )
    return rows


def _aligned(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def format_table(report: CorpusReport) -> str:
    """A readable report: one line per clip (misses marked <-), totals per spec and per rule."""
    summary = report.summary()
    lines = [f"{len(report.scores)} labelled clips scored from {report.folder}", ""]
    lines += [_clip_line(s) for s in sorted(report.scores, key=lambda s: (s.spec, s.file))]
    lines += [
        "",
        _aligned(SPEC_HEADER, _spec_rows(summary)),
        "",
        _aligned(RULE_HEADER, _rule_rows(summary)),
    ]
    if report.skipped:
        lines += ["", "not scored:"] + [f"  {f}: {why}" for f, why in report.skipped]
    return "\n".join(lines)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(report: CorpusReport, command: str) -> str:
    """docs/ACCURACY.md: the totals and every miss, with the command that produced them."""
    summary = report.summary()
    misses = [
        _clip_line(s).strip()
        for s in sorted(report.scores, key=lambda s: (s.spec, s.file))
        if "<-" in _clip_line(s)
    ]
    parts = [
        "# Accuracy on labelled real clips",
        "",
        "Written by the evaluation command; do not edit by hand. Produced with:",
        "",
        f"```\n{command}\n```",
        "",
        f"{len(report.scores)} clips of real people with hand labels were scored "
        f"({len(report.skipped)} more have no formcheck exercise or no video). How each figure is "
        "defined: `formcheck/corpus/score.py`.",
        "",
        "## Per exercise",
        "",
        _md_table(SPEC_HEADER, _spec_rows(summary)),
        "",
        "## Fault rules against the labels",
        "",
        "Only rules a label is sure of are scored. A rule the camera view left unjudged is counted "
        "as not checked: a miss when the fault was there, never a pass.",
        "",
        _md_table(RULE_HEADER, _rule_rows(summary)),
        "",
        "## Clips that miss",
        "",
        "Reps found/labelled, longest stay found/labelled, rule verdicts (tp, fp, fn, tn, "
        "not_checked), share of frames that could not be judged.",
        "",
        *[f"- `{m}`" for m in misses],
    ]
    unlabelled = _unlabelled_lines(report.scores)
    if unlabelled:
        parts += [
            "",
            "## Reported where the labels are silent",
            "",
            "Faults reported on rules a clip's label does not judge. They are not scored (the "
            "label does not say they are wrong), but each is something a patient would hear: look "
            "at the frames.",
            "",
            *[f"- `{line}`" for line in unlabelled],
        ]
    if report.skipped:
        parts += ["", "## Not scored", ""] + [f"- `{f}`: {why}" for f, why in report.skipped]
    return "\n".join(parts) + "\n"
