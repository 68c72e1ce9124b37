"""The clinician's report: one or two A4 pages about one patient over a period (fpdf2).

Page order: who and when; a table with one row per exercise (sessions, sets, reps good and
faulty, best hold against its target, mean range of motion, the share the camera could not
judge); the sets stopped for pain; the trend strips (:mod:`.figures`) of the exercises done more
than once; each recurring fault with a still frame of it where a video was kept
(:mod:`.stills`). When that would take more than two pages, fewer trend strips are drawn and the
report says which were left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from formcheck import __version__
from formcheck.history.records import Patient, StoredSession
from formcheck.report import figures
from formcheck.report.stills import Still, still_for
from formcheck.report.trends import (
    ExerciseSummary,
    FaultTally,
    Period,
    Plan,
    by_exercise,
    fault_tallies,
    pain_stops,
    summarise,
)

MAX_PAGES = 2
MAX_TREND_STRIPS = 4
MAX_FAULT_STILLS = 4
MAX_PAIN_LINES = 8
MARGIN_MM = 12.0
STRIP_HEIGHT_MM = figures.STRIP_HEIGHT_IN / figures.STRIP_WIDTH_IN * (210 - 2 * MARGIN_MM)
STILL_BOX_MM = (42.0, 32.0)  # width, height a still may take
FONT = "DejaVu"
# Fonts for what DejaVu Sans lacks, used glyph by glyph (fpdf2's fallback fonts) and embedded as
# the subset the report uses: Noto Sans CJK for Chinese, Japanese and Korean names (Debian's
# fonts-noto-cjk, which the set-up installs; the paths other systems use follow) and Symbola for
# emoji and other symbols (fonts-symbola).
FALLBACK_FONTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # family: (regular files, bold files), the first that exists is used
    "NotoSansCJK": (
        (
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        ),
        (
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
            "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
            "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
        ),
    ),
    "Symbola": (
        (
            "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
            "/usr/share/fonts/TTF/Symbola.ttf",
        ),
        (),
    ),
}


@dataclass(frozen=True)
class ReportData:
    """Everything a report is made from; no database connection needed.

    Attributes:
        patient: Whose report it is.
        period: The days it covers.
        sessions: The patient's sessions in the period, oldest first.
        plans: Each exercise's prescription (titles, hold targets, units).
        videos: Session id -> a video of it that is not recorded in the history (the clip the
            review page has just analysed).
        made_at: When the report was made.
    """

    patient: Patient
    period: Period
    sessions: Sequence[StoredSession]
    plans: Mapping[str, Plan]
    videos: Mapping[int, Path] = field(default_factory=dict)
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _fonts_dir() -> Path:
    # matplotlib ships DejaVu Sans: a Unicode font, so any patient name prints.
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def _dejavu_chars() -> frozenset[int]:
    """The code points DejaVu Sans draws."""
    from fontTools.ttLib import TTFont

    with TTFont(str(_fonts_dir() / "DejaVuSans.ttf"), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _first_file(paths: Sequence[str]) -> str | None:
    return next((p for p in paths if Path(p).is_file()), None)


def needs_fallback(text: str) -> bool:
    """Does ``text`` hold a character DejaVu Sans cannot draw (CJK, emoji)?"""
    drawn = _dejavu_chars()
    return any(ord(c) not in drawn for c in text if not c.isspace())


class _Pdf(FPDF):
    def __init__(self, footer_text: str, fallback: bool = False) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(True, margin=MARGIN_MM)
        self.add_font(FONT, "", str(_fonts_dir() / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(_fonts_dir() / "DejaVuSans-Bold.ttf"))
        if fallback:
            # Loading a CJK font takes about 0.25 s: only for text that needs it.
            self._add_fallback_fonts()
        self.set_font(FONT, size=9)

    def _add_fallback_fonts(self) -> None:
        families = []
        for family, (regular, bold) in FALLBACK_FONTS.items():
            regular_file = _first_file(regular)
            if regular_file is None:
                continue
            self.add_font(family, "", regular_file)
            self.add_font(family, "B", _first_file(bold) or regular_file)
            families.append(family)
        if families:
            self.set_fallback_fonts(families, exact_match=False)

    def footer(self) -> None:
        self.set_y(-9)
        self.set_font(FONT, size=7)
        self.cell(0, 4, f"{self._footer_text}    page {self.page_no()} of {{nb}}", align="R")

    def space_for(self, height_mm: float) -> None:
        """Start a new page unless ``height_mm`` fits below the cursor."""
        if self.get_y() + height_mm > self.page_break_trigger:
            self.add_page()

    def heading(self, text: str) -> None:
        self.space_for(14)
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)

    def para(self, text: str, size: float = 9, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)


def _title(plans: Mapping[str, Plan], exercise: str) -> str:
    return plans[exercise].title if exercise in plans else exercise


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def hold_text(summary: ExerciseSummary) -> str:
    """Best hold per side against the target, e.g. ``L 25.3, R 22.0 s (target 30 s)``."""
    if not summary.best_hold_s:
        held = "none"
    else:
        sides = sorted(summary.best_hold_s.items())
        held = ", ".join(
            f"{side[0].upper()} {value:.1f}" if side in ("left", "right") else f"{value:.1f}"
            for side, value in sides
        )
        held += " s"
    return held + (f" (target {summary.hold_target_s:g} s)" if summary.hold_target_s else "")


def rom_text(summary: ExerciseSummary) -> str:
    """The mean range of motion as the table prints it: whole degrees, else two decimals and the
    unit; "-" when there is none."""
    if summary.mean_rom is None:
        return "-"
    if summary.rom_unit == "deg":
        return f"{summary.mean_rom:.0f} deg"
    return f"{summary.mean_rom:.2f} {summary.rom_unit or ''}".strip()


def summary_row(summary: ExerciseSummary) -> list[str]:
    """The table's cells for one exercise, as printed."""
    reps = summary.kind == "reps"
    return [
        summary.title,
        str(summary.sessions),
        str(summary.sets),
        str(summary.reps_good) if reps else "-",
        str(summary.reps_faulty) if reps else "-",
        hold_text(summary) if summary.kind == "hold" or summary.best_hold_s else "-",
        rom_text(summary),
        f"{summary.cannot_judge_share:.0%}",
    ]


SUMMARY_HEADER = [
    "Exercise", "Sessions", "Sets", "Good reps", "Faulty reps", "Best hold", "Mean range",
    "Not judged",
]  # fmt: skip
_COLUMN_WIDTHS = (46, 17, 11, 13, 14, 38, 28, 19)


def _summary_table(pdf: _Pdf, summaries: Sequence[ExerciseSummary]) -> None:
    pdf.set_font(FONT, size=8)
    with pdf.table(
        col_widths=_COLUMN_WIDTHS,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT", "RIGHT", "RIGHT"),
        line_height=4.5,
        padding=(0.6, 1.5),  # vertical, horizontal: cells stay apart in extracted text
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
    ) as table:
        header = table.row()
        for text in SUMMARY_HEADER:
            header.cell(text)
        for summary in summaries:
            row = table.row()
            for text in summary_row(summary):
                row.cell(text)
    pdf.set_font(FONT, size=9)


def _pain_section(pdf: _Pdf, stops: Sequence[StoredSession], plans: Mapping[str, Plan]) -> None:
    pdf.heading("Stopped for pain")
    if not stops:
        pdf.para("No set was stopped for pain in this period.")
        return
    for s in stops[:MAX_PAIN_LINES]:
        done = f"after {_count(s.reps_done, 'rep')}" if s.reps_done else "before a rep was counted"
        if s.holds:
            done = f"after {_count(sum(h.counted for h in s.holds), 'hold')}"
        when = _local(s.started_at)
        pdf.para(
            f"{when}  {_title(plans, s.exercise)}: {done}, {s.duration_s:.0f} s (session {s.id})"
        )
    if len(stops) > MAX_PAIN_LINES:
        pdf.para(f"... and {len(stops) - MAX_PAIN_LINES} more (see 'formcheck history list').")


def _trend_section(
    pdf: _Pdf,
    groups: Mapping[str, list[StoredSession]],
    plans: Mapping[str, Plan],
    strips: int,
    png: Callable[[str], bytes],
) -> None:
    pdf.heading("Trends")
    several = sorted(
        (e for e, g in groups.items() if len(g) > 1), key=lambda e: (-len(groups[e]), e)
    )
    once = sorted(e for e, g in groups.items() if len(g) == 1)
    for exercise in several[:strips]:
        pdf.space_for(10 + STRIP_HEIGHT_MM)
        pdf.para(
            f"{_title(plans, exercise)} ({_count(len(groups[exercise]), 'session')})", bold=True
        )
        note = figures.depth_note(groups[exercise], plans.get(exercise))
        if note:
            pdf.para(note[0].upper() + note[1:] + ".", size=8)
        pdf.image(png(exercise), w=pdf.epw, h=STRIP_HEIGHT_MM)
    if several[strips:]:
        names = ", ".join(_title(plans, e) for e in several[strips:])
        pdf.para(f"Not drawn, to keep the report to two pages: {names}.")
    if once:
        names = ", ".join(_title(plans, e) for e in once)
        pdf.para(f"Done once in this period (numbers in the table): {names}.")
        for exercise in once:
            note = figures.depth_note(groups[exercise], plans.get(exercise))
            if note:
                pdf.para(f"{_title(plans, exercise)}: {note}.", size=8)
    if not several and not once:
        pdf.para("Nothing to draw.")


def _fault_caption(tally: FaultTally, title: str, still: Still | None) -> str:
    text = f"{title}: {tally.message} ({tally.count} times in {_count(tally.sessions, 'session')})"
    if still is None:
        return text + " - no recording kept."
    s = still.example.session
    return (
        text
        + f" - still from session {s.id}, {_local(s.started_at)}, {still.example.t_s:.1f} s in."
    )


@dataclass
class _Parts:
    """What every layout attempt reuses: the drawn strips and the decoded stills."""

    groups: dict[str, list[StoredSession]]
    tallies: list[FaultTally]
    shown: list[FaultTally]  # the recurring faults given a place of their own
    stills: list[Still | None]  # one per shown fault
    strip_png: Callable[[str], bytes]


def _fault_section(pdf: _Pdf, parts: _Parts, plans: Mapping[str, Plan]) -> None:
    pdf.heading("Faults that recur")
    if not parts.shown:
        pdf.para("No fault was seen more than once in this period.")
    pictures = any(parts.stills)
    box_w, box_h = STILL_BOX_MM
    count = len(parts.shown)
    gap = (pdf.epw - count * box_w) / max(count - 1, 1) if count else 0.0
    if pictures:
        pdf.space_for(box_h + 24)
        top = pdf.get_y()
        for i, still in enumerate(parts.stills):
            x = pdf.l_margin + i * (box_w + gap)
            if still is not None:
                pdf.image(still.jpeg, x=x, y=top, w=box_w, h=box_h, keep_aspect_ratio=True)
            else:
                pdf.set_xy(x, top + box_h / 2 - 3)
                pdf.multi_cell(box_w, 4, "no recording kept", align="C")
        bottom = top + box_h + 1
        lowest = bottom
        pdf.set_font(FONT, size=7)
        for i, (tally, still) in enumerate(zip(parts.shown, parts.stills, strict=True)):
            pdf.set_xy(pdf.l_margin + i * (box_w + gap), bottom)
            pdf.multi_cell(
                box_w, 3.2, _fault_caption(tally, _title(plans, tally.exercise), still), align="L"
            )
            lowest = max(lowest, pdf.get_y())
        pdf.set_font(FONT, size=9)
        pdf.set_xy(pdf.l_margin, lowest + 1)
    else:
        for tally in parts.shown:
            pdf.para(_fault_caption(tally, _title(plans, tally.exercise), None))
    rest = [t for t in parts.tallies if t not in parts.shown]
    if rest:
        listed = "; ".join(f"{_title(plans, t.exercise)}: {t.message} ({t.count}x)" for t in rest)
        pdf.para(f"Also seen: {listed}", size=8)


def _render(data: ReportData, parts: _Parts, strips: int) -> _Pdf:
    made = data.made_at.astimezone().strftime("%Y-%m-%d %H:%M")
    pdf = _Pdf(f"formcheck {__version__}, made {made}", needs_fallback(data.patient.name))
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    # A long name wraps onto more lines (a word longer than the line is broken) rather than
    # running off the page.
    pdf.multi_cell(
        0,
        7,
        f"Exercise report: {data.patient.name}",
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.para(
        f"Period {data.period.label} ({_count(data.period.days, 'day')}): "
        f"{_count(len(data.sessions), 'session')} of {_count(len(parts.groups), 'exercise')}. "
        f"Patient id {data.patient.id}."
    )
    if not data.sessions:
        pdf.ln(4)
        pdf.para("No sessions were saved in this period.")
        return pdf
    pdf.para(
        "A session is a practice set or an analysed clip; it counts as one set, or as many "
        "full prescribed sets as its reps fill. 'Not judged' is the share of the video the "
        "camera could not assess.",
        size=7.5,
    )
    pdf.heading("Summary")
    _summary_table(pdf, summarise(data.sessions, data.plans))
    _pain_section(pdf, pain_stops(data.sessions), data.plans)
    _trend_section(pdf, parts.groups, data.plans, strips, parts.strip_png)
    _fault_section(pdf, parts, data.plans)
    return pdf


def build_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes, at most :data:`MAX_PAGES` pages when it can be."""
    groups = by_exercise(data.sessions)
    cache: dict[str, bytes] = {}

    def strip_png(exercise: str) -> bytes:
        if exercise not in cache:
            cache[exercise] = figures.trend_png(groups[exercise], data.plans.get(exercise))
        return cache[exercise]

    tallies = fault_tallies(data.sessions)
    shown = [t for t in tallies if t.recurring][:MAX_FAULT_STILLS]
    stills = [still_for(t, data.videos) for t in shown]
    parts = _Parts(groups, tallies, shown, stills, strip_png)
    strips = MAX_TREND_STRIPS
    pdf = _render(data, parts, strips)
    while pdf.pages_count > MAX_PAGES and strips > 0:
        strips -= 1
        pdf = _render(data, parts, strips)
    return bytes(pdf.output())
