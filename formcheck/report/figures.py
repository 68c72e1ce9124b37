"""The report's trend plots, drawn with matplotlib into PNG bytes.

Each exercise gets one strip of small panels over the period's dates: how much was done against
the prescription (reps per set, or the longest hold per side), the range of motion of every rep or
hold, and for rep exercises the share of good reps each day. Sets stopped for pain are red marks.
Figures are made without pyplot, so building reports on several threads at once is safe.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from formcheck.history.records import StoredSession
from formcheck.report.trends import (
    Plan,
    good_share_by_day,
    local_day,
    rom_unit,
    rom_values,
    session_kind,
)

GOOD = "#2e9e4f"
FAULTY = "#e08a1e"
LINE = "#1e3c78"
TARGET = "#555555"
PAIN = "#d62728"
SIDE_MARKERS = {"left": "o", "right": "s"}
STRIP_WIDTH_IN = 7.3  # the page's text width (186 mm)
STRIP_HEIGHT_IN = 1.75
DPI = 200


def _x(t: datetime) -> float:
    """A stored (UTC) time as matplotlib's day number, in local time."""
    return float(date2num(t.astimezone().replace(tzinfo=None)))


def _x_day(day: date) -> float:
    """Noon of a local day: a day's figure sits among that day's sessions."""
    return float(date2num(datetime.combine(day, time(12))))


def _dates_axis(ax: Axes, title: str) -> None:
    locator = AutoDateLocator(minticks=2, maxticks=5)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
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
            marker=SIDE_MARKERS.get(side, "o"), ms=3, lw=1,
            label="hold" if side == "none" else side,
        )  # fmt: skip
    targets = [s.hold_target_s for s in sessions if s.hold_target_s]
    target = targets[-1] if targets else (plan.hold_target_s if plan else None)
    if target:
        ax.axhline(target, color=TARGET, linestyle="--", linewidth=1, label="target")
    _mark_pain(ax, sessions)
    ax.set_ylim(bottom=0)
    _dates_axis(ax, "Longest hold (s)")


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


def _good_panel(ax: Axes, sessions: Sequence[StoredSession]) -> None:
    days = good_share_by_day(sessions)
    ax.plot(
        [_x_day(d) for d, _, _ in days],
        [100 * share for _, share, _ in days],
        "o-", color=GOOD, ms=3, lw=1,
    )  # fmt: skip
    ax.set_ylim(0, 105)
    _dates_axis(ax, "Good reps each day (%)")


def trend_png(sessions: Sequence[StoredSession], plan: Plan | None) -> bytes:
    """One exercise's strip of trend panels as a PNG.

    Args:
        sessions: The exercise's sessions in the period, oldest first (at least one).
        plan: Its prescription, for the hold target and the range-of-motion unit.
    """
    kind = session_kind(sessions[-1], plan)
    has_rom = any(rom_values(s) for s in sessions)
    panels = ["volume", *(["rom"] if has_rom else []), *(["good"] if kind == "reps" else [])]
    fig = Figure(figsize=(STRIP_WIDTH_IN, STRIP_HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    for ax, panel in zip(axes, panels, strict=False):
        if panel == "volume" and kind == "reps":
            _reps_panel(ax, sessions)
        elif panel == "volume":
            _hold_panel(ax, sessions, plan)
        elif panel == "rom":
            _rom_panel(ax, sessions, plan)
        else:
            _good_panel(ax, sessions)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, frameon=False, loc="best")
    for ax in axes[len(panels) :]:
        ax.set_axis_off()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
