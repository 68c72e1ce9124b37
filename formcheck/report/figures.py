"""The report's trend plots, drawn with matplotlib into PNG bytes.

Each exercise gets one strip of small panels: for a rep exercise the reps of each set, the range
of motion of every rep and the share of good reps each day; for a stretch the longest hold of each
session per side and its depth per session and side (the median and the best over the holds, the
tighter side named). Every panel of a strip shares one date axis over the days with data, ticked
by day. Sets stopped for pain are red marks. Figures are made without pyplot, so building reports
on several threads at once is safe.
"""

from __future__ import annotations

import io
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator

from formcheck.history.records import StoredSession
from formcheck.report.trends import (
    DayAxis,
    Plan,
    day_axis,
    depth_by_side,
    depth_summary,
    good_share_by_day,
    local_day,
    rom_decimals,
    rom_unit,
    rom_values,
    session_kind,
    tighter_side,
)

GOOD = "#2e9e4f"
FAULTY = "#e08a1e"
LINE = "#1e3c78"
TARGET = "#555555"
PAIN = "#d62728"
SIDE_MARKERS = {"left": "o", "right": "s"}
SIDE_COLOURS = {"left": "#1f77b4", "right": "#9467bd", "none": LINE}
# Characters of a panel title's line: a third of the strip holds about 37 at 8 pt.
TITLE_CHARS_PER_THIRD = 37
STRIP_WIDTH_IN = 7.3  # the page's text width (186 mm)
STRIP_HEIGHT_IN = 1.75
DPI = 200


def _x(t: datetime) -> float:
    """A stored (UTC) time as matplotlib's day number, in local time."""
    return float(date2num(t.astimezone().replace(tzinfo=None)))


def _x_day(day: date) -> float:
    """Noon of a local day: a day's figure sits among that day's sessions."""
    return float(date2num(datetime.combine(day, time(12))))


def _day_axis(ax: Axes, days: DayAxis) -> None:
    """The strip's shared date axis: its days only, one kind of tick (a day, at its noon)."""
    left, right = days.limits()
    ax.set_xlim(_x_naive(left), _x_naive(right))
    ax.xaxis.set_major_locator(FixedLocator([_x_day(d) for d in days.ticks]))
    ax.xaxis.set_major_formatter(DateFormatter(days.tick_format))


def _x_naive(t: datetime) -> float:
    return float(date2num(t))


def _dates_axis(ax: Axes, title: str) -> None:
    ax.set_title(title, fontsize=8, loc="left")
    ax.tick_params(labelsize=6.5)
    ax.grid(alpha=0.3, linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _mark_pain(ax: Axes, sessions: Sequence[StoredSession]) -> None:
    for s in sessions:
        if s.stopped_for_pain:
            ax.axvline(_x(s.started_at), color=PAIN, linewidth=1.2, linestyle=":")
    if any(s.stopped_for_pain for s in sessions):
        ax.plot([], [], color=PAIN, linestyle=":", label="stopped: pain")


def _reps_panel(ax: Axes, sessions: Sequence[StoredSession]) -> None:
    times = [_x(s.started_at) for s in sessions]
    ax.plot(times, [s.reps_done for s in sessions], "o-", color=LINE, ms=3, lw=1, label="done")
    ax.plot(times, [s.reps_good for s in sessions], "o", color=GOOD, ms=2.5, label="good")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    prescribed = [s.reps_prescribed for s in sessions]
    if any(prescribed):
        ax.step(
            times, [p or float("nan") for p in prescribed], where="post",
            color=TARGET, linestyle="--", linewidth=1, label="prescribed",
        )  # fmt: skip
    _mark_pain(ax, sessions)
    ax.set_ylim(bottom=0)
    _dates_axis(ax, "Reps in each set")


def _hold_panel(ax: Axes, sessions: Sequence[StoredSession], plan: Plan | None) -> None:
    by_side: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s in sessions:
        for side, held in s.best_hold_s().items():
            by_side[side].append((_x(s.started_at), held))
    for side, points in sorted(by_side.items()):
        ax.plot(
            [p[0] for p in points], [p[1] for p in points],
            marker=SIDE_MARKERS.get(side, "o"), ms=3, lw=1, color=SIDE_COLOURS.get(side, LINE),
            label="hold" if side == "none" else side,
        )  # fmt: skip
    targets = [s.hold_target_s for s in sessions if s.hold_target_s]
    target = targets[-1] if targets else (plan.hold_target_s if plan else None)
    if target:
        ax.axhline(target, color=TARGET, linestyle="--", linewidth=1, label="target")
    _mark_pain(ax, sessions)
    ax.set_ylim(bottom=0)
    _dates_axis(ax, "Longest hold each session (s)")


def _rom_panel(ax: Axes, sessions: Sequence[StoredSession], plan: Plan | None) -> None:
    daily: dict[date, list[float]] = defaultdict(list)
    for s in sessions:
        values = rom_values(s)
        ax.plot([_x(s.started_at)] * len(values), values, ".", color=LINE, ms=2.5, alpha=0.5)
        daily[local_day(s.started_at)].extend(values)
    days = sorted(daily)
    ax.plot(
        [_x_day(d) for d in days],
        [sum(daily[d]) / len(daily[d]) for d in days],
        "-", color=LINE, lw=1, label="daily mean",
    )  # fmt: skip
    named = rom_unit(sessions[-1].rom_signal) or (plan.rom_unit if plan else None)
    unit = f" ({named})" if named else ""
    better = sessions[-1].rom_better
    _dates_axis(ax, f"Range of motion{unit}" + (f", {better} is better" if better else ""))


def _depth_panel(
    ax: Axes, sessions: Sequence[StoredSession], plan: Plan | None, title_chars: int
) -> None:
    """Each side's depth per session: the median (solid) and the best (dotted, open marks)."""
    tighter = tighter_side(sessions, plan.rom_same_within if plan else 0.0)
    for side, points in depth_by_side(sessions).items():
        colour = SIDE_COLOURS.get(side, LINE)
        marker = SIDE_MARKERS.get(side, "o")
        name = "depth" if side == "none" else side
        if side == tighter.side:
            name += " (tighter)"
        xs = [_x(p.started_at) for p in points]
        ax.plot(
            xs, [p.median for p in points], marker=marker, ms=3.5, lw=1.2, color=colour,
            label=f"{name}, median",
        )  # fmt: skip
        best = [(x, p.best) for x, p in zip(xs, points, strict=True) if p.best is not None]
        if best:
            ax.plot(
                [b[0] for b in best], [b[1] for b in best], marker=marker, ms=3.5, lw=0.8,
                linestyle=":", color=colour, markerfacecolor="white", label=f"{name}, best",
            )  # fmt: skip
    _mark_pain(ax, sessions)
    unit = rom_unit(sessions[-1].rom_signal) or (plan.rom_unit if plan else None)
    label = plan.rom_label if plan and plan.rom_label else "range of motion"
    better = sessions[-1].rom_better
    head = ", ".join(t for t in (unit, f"{better} is better" if better else None) if t)
    _dates_axis(ax, "\n".join(textwrap.wrap(f"Depth ({head}): {label}", title_chars)))
    # Four entries (median and best per side) would hide points: beside the panel instead.
    ax.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def depth_note(sessions: Sequence[StoredSession], plan: Plan | None) -> str:
    """The tighter side of a stretch in words, for the strip's heading; empty unless both sides
    were measured."""
    tighter = tighter_side(sessions, plan.rom_same_within if plan else 0.0)
    signal = sessions[-1].rom_signal
    unit = rom_unit(signal) or (plan.rom_unit if plan else None)
    return depth_summary(tighter, unit, rom_decimals(signal), sessions[-1].rom_better)


def _good_panel(ax: Axes, sessions: Sequence[StoredSession]) -> None:
    days = good_share_by_day(sessions)
    ax.plot(
        [_x_day(d) for d, _, _ in days],
        [100 * share for _, share, _ in days],
        "o-", color=GOOD, ms=3, lw=1,
    )  # fmt: skip
    ax.set_ylim(0, 105)
    _dates_axis(ax, "Good reps each day (%)")


def panels_for(sessions: Sequence[StoredSession], plan: Plan | None) -> list[str]:
    """The panels of an exercise's strip, left to right: ``reps``, ``rom`` and ``good`` for a
    rep exercise; ``hold`` and ``depth`` for a stretch (range-of-motion panels only with data)."""
    has_rom = any(rom_values(s) for s in sessions)
    if session_kind(sessions[-1], plan) == "reps":
        return ["reps", *(["rom"] if has_rom else []), "good"]
    return ["hold", *(["depth"] if has_rom else [])]


def trend_figure(sessions: Sequence[StoredSession], plan: Plan | None) -> Figure:
    """One exercise's strip of trend panels, drawn (tick labels in place).

    Args:
        sessions: The exercise's sessions in the period, oldest first (at least one).
        plan: Its prescription, for the hold target and the range-of-motion label and unit.
    """
    panels = panels_for(sessions, plan)
    # A rep exercise's three panels share the strip; a stretch's two get half each.
    columns = 3 if panels[0] == "reps" else 2
    title_chars = TITLE_CHARS_PER_THIRD * 3 // columns
    days = day_axis((local_day(s.started_at) for s in sessions), max_ticks=14 // columns)
    fig = Figure(figsize=(STRIP_WIDTH_IN, STRIP_HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, columns)
    for ax, panel in zip(axes, panels, strict=False):
        if panel == "reps":
            _reps_panel(ax, sessions)
        elif panel == "hold":
            _hold_panel(ax, sessions, plan)
        elif panel == "rom":
            _rom_panel(ax, sessions, plan)
        elif panel == "depth":
            _depth_panel(ax, sessions, plan, title_chars)
        else:
            _good_panel(ax, sessions)
        _day_axis(ax, days)
        if ax.get_legend() is None and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, frameon=False, loc="best")
    for ax in axes[len(panels) :]:
        ax.set_axis_off()
    # Titles of as many lines each, so the panels' plotting areas line up.
    lines = max(ax.get_title(loc="left").count("\n") for ax in axes[: len(panels)])
    for ax in axes[: len(panels)]:
        title = ax.get_title(loc="left")
        ax.set_title("\n" * (lines - title.count("\n")) + title, fontsize=8, loc="left")
    fig.canvas.draw()
    return fig


def trend_png(sessions: Sequence[StoredSession], plan: Plan | None) -> bytes:
    """One exercise's strip of trend panels (:func:`trend_figure`) as a PNG."""
    out = io.BytesIO()
    trend_figure(sessions, plan).savefig(out, format="png", dpi=DPI)
    return out.getvalue()
