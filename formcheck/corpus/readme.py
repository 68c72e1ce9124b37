"""The README's accuracy table, written from the same evaluation as docs/ACCURACY.md.

``formcheck evaluate DIR --readme README.md`` replaces what lies between the two marker lines
(:data:`START` and :data:`END`) with a table of what was measured ("now") against what formcheck
aims for ("target"); nothing else in the file changes. The targets are data here
(:data:`ROWS`), the "now" column comes from the report, so the README never holds a figure
typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from formcheck.corpus.run import CorpusReport
from formcheck.corpus.score import HOLD_TOLERANCE_S

START = "<!-- accuracy:start -->"
END = "<!-- accuracy:end -->"


class ReadmeBlockError(ValueError):
    """The file lacks the markers, or has them twice or in the wrong order."""


def _of(num: int, den: int) -> str:
    return f"{num} of {den}"


def _reps(report: CorpusReport, total: dict[str, Any]) -> str:
    n = total["rep_clips"]
    if not n:
        return "no labelled rep clip"
    errors = [s.rep_error for s in report.scores if s.rep_error is not None]
    over, under = sum(e > 0 for e in errors), sum(e < 0 for e in errors)
    text = f"{_of(total['reps_exact'], n)} clips ({total['reps_exact'] / n:.0%})"
    if over or under:
        text += (
            f"; {total['reps_off_by_one']} off by one, {total['reps_off_by_more']} by more "
            f"({over} too many, {under} too few)"
        )
    return text


def _holds(report: CorpusReport, total: dict[str, Any]) -> str:
    n = total["hold_clips"]
    if not n:
        return "no labelled hold"
    found = [s for s in report.scores if s.hold_error_s is not None and (s.hold_found_s or 0) > 0]
    long = sum((s.hold_error_s or 0.0) > HOLD_TOLERANCE_S for s in found)
    short = sum((s.hold_error_s or 0.0) < -HOLD_TOLERANCE_S for s in found)
    text = (
        f"{_of(total['holds_within_1s'], n)} labelled holds (mean error "
        f"{total['hold_mae_s']:.2f} s); {_of(total['holds_found'], n)} found"
    )
    if long or short:
        text += f"; off by over 1 s: {long} too long, {short} too short"
    return text


def _rule(rule: str) -> Callable[[CorpusReport, dict[str, Any]], str]:
    def now(report: CorpusReport, total: dict[str, Any]) -> str:
        r = total["rules"].get(rule)
        if r is None:
            return "no labelled clip"
        faulty = r["tp"] + r["fn"] + r["not_checked_faulty"]
        clean = r["fp"] + r["tn"] + r["not_checked_clean"]
        text = f"{_of(r['tp'], faulty)} found; false alarms on {_of(r['fp'], clean)} clean clips"
        if r["not_checked_faulty"] or r["not_checked_clean"]:
            text += (
                f"; not checked on {r['not_checked_faulty']} faulty and "
                f"{r['not_checked_clean']} clean clips"
            )
        return text

    return now


def _too_fast(report: CorpusReport, total: dict[str, Any]) -> str:
    if not total["calm_rep_clips"]:
        return "no calm rep clip"
    fired = _of(total["calm_clips_with_too_fast"], total["calm_rep_clips"])
    return f"fires on {fired} calm rep clips"


def _cannot_judge(report: CorpusReport, total: dict[str, Any]) -> str:
    mean = total["cannot_judge_mean"]
    if mean is None:
        return "no clip with the whole body in view"
    wholly = sum(s.whole_body_visible and s.cannot_judge_share >= 1.0 for s in report.scores)
    text = f"{mean:.0%} on average; over 10% on {total['clips_cannot_judge_over_10pct']} clips"
    if wholly:
        text += f" ({wholly} wholly)"
    return text


@dataclass(frozen=True)
class Row:
    """One line of the README's accuracy table: what is measured, the target, and how to word
    today's figure."""

    what: str
    target: str
    now: Callable[[CorpusReport, dict[str, Any]], str]


ROWS: tuple[Row, ...] = (
    Row("rep count exact", "95%, none off by one", _reps),
    Row("holds timed within 1 s", "all found, 90% within 1 s", _holds),
    Row("rounded back (`neutral_spine`)", "recall and precision 0.95", _rule("neutral_spine")),
    Row("knees caving (`knee_wobble`, front view)", "F1 0.8", _rule("knee_wobble")),
    Row("`too_fast` on calm reps", "never", _too_fast),
    Row("frames that could not be judged", "under 10%", _cannot_judge),
)


def accuracy_block(report: CorpusReport, command: str) -> str:
    """What goes between the markers: how many clips, then the table (no markers)."""
    total = report.summary()["total"]
    skipped = report.skipped and f" ({len(report.skipped)} more in the manifest are not scored)"
    lines = [
        f"<!-- Written by `{command}`; do not edit by hand (targets: "
        "formcheck/corpus/readme.py). -->",
        f"Labelled clips scored: {len(report.scores)}{skipped or ''}.",
        "",
        "| what | now | target |",
        "|---|---|---|",
        *[f"| {row.what} | {row.now(report, total)} | {row.target} |" for row in ROWS],
    ]
    return "\n".join(lines)


def _marker_span(text: str) -> tuple[int, int]:
    """Where the block's content starts (after START) and ends (at END)."""
    for marker in (START, END):
        count = text.count(marker)
        if count != 1:
            where = "no" if count == 0 else f"{count} times the"
            raise ReadmeBlockError(
                f"{where} {marker} line; the accuracy table must sit between one "
                f"{START} line and one {END} line"
            )
    begin, end = text.index(START) + len(START), text.index(END)
    if end < begin:
        raise ReadmeBlockError(f"{END} comes before {START}")
    return begin, end


def check_markers(text: str) -> None:
    """Raise :class:`ReadmeBlockError` unless ``text`` has one block to rewrite."""
    _marker_span(text)


def rewrite_block(text: str, block: str) -> str:
    """``text`` with everything between the markers replaced by ``block`` (markers kept)."""
    begin, end = _marker_span(text)
    return f"{text[:begin]}\n{block}\n{text[end:]}"
