"""The Progress page's plots (plotly): one exercise's history, one question per plot.

Each plot answers what a patient asks at a glance: did I do what was prescribed, am I holding
longer, am I stretching deeper (each side, the tighter one named), am I moving further, am I doing
the reps well, what do I keep getting wrong. Days are on the x axis, which spans the days with
data and is ticked by day; sets stopped for pain are red crosses on the first plot.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import plotly.graph_objects as go

from formcheck.history.records import StoredSession
from formcheck.report.trends import (
    FaultTally,
    Plan,
    day_axis,
    depth_by_side,
    depth_summary,
    good_share_by_day,
    local_day,
    rom_decimals,
    rom_unit,
    rom_values,
    tighter_side,
)
from formcheck.ui.plots import LINE

GOOD = "rgb(46, 158, 79)"
FAULTY = "rgb(224, 138, 30)"
PAIN = "rgb(214, 39, 40)"
TARGET = "rgb(90, 90, 90)"
SIDE_COLOURS = {"left": "rgb(31, 119, 180)", "right": "rgb(148, 103, 189)", "none": LINE}
SIDE_SYMBOLS = {"left": "circle", "right": "square", "none": "circle"}
# Day ticks a half-page plot holds without crowding.
MAX_DAY_TICKS = 8
DAY_MS = 86_400_000


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    # Plotly does not wrap titles; half a page's width holds about this many characters.
    lines = textwrap.wrap(title, 48)
    fig.update_layout(
        title={"text": "<br>".join(lines), "font": {"size": 15}},
        height=280 + 20 * len(lines),
        margin={"l": 10, "r": 10, "t": 30 + 20 * len(lines), "b": 10},
        yaxis_title=y_title,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
        hovermode="closest",
        barmode="stack",
    )
    days = {x.date() for trace in fig.data for x in (trace.x or ()) if isinstance(x, datetime)}
    if days:
        # Plotly's own date axis puts one point in a span of years and ticks a few days every
        # few hours: here it spans the data's days and is ticked at each day's noon.
        axis = day_axis(days, MAX_DAY_TICKS)
        left, right = axis.limits()
        fig.update_xaxes(
            type="date", range=[left, right], tickformat=axis.tick_format,
            tick0=_noon(axis.first), dtick=axis.step_days * DAY_MS,
        )  # fmt: skip
    return fig


def _local(t: datetime) -> datetime:
    return t.astimezone().replace(tzinfo=None)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12)


def _pain_marks(fig: go.Figure, sessions: Sequence[StoredSession], y: float) -> None:
    stops = [s for s in sessions if s.stopped_for_pain]
    if not stops:
        return
    fig.add_trace(
        go.Scatter(
            x=[_noon(local_day(s.started_at)) for s in stops],
            y=[y] * len(stops),
            mode="markers",
            marker={"symbol": "x", "size": 13, "color": PAIN},
            name="stopped: it hurt",
            hovertext=[f"Stopped for pain at {_local(s.started_at):%H:%M}" for s in stops],
            hoverinfo="text",
        )
    )


def reps_figure(sessions: Sequence[StoredSession], plan: Plan | None) -> go.Figure:
    """Reps each day, good and faulty stacked, against the reps prescribed for a day."""
    good: dict[date, int] = defaultdict(int)
    faulty: dict[date, int] = defaultdict(int)
    for s in sessions:
        good[local_day(s.started_at)] += s.reps_good
        faulty[local_day(s.started_at)] += s.reps_faulty
    days = sorted(set(good) | set(faulty))
    x = [_noon(d) for d in days]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=[good[d] for d in days], name="done well", marker_color=GOOD))
    fig.add_trace(
        go.Bar(x=x, y=[faulty[d] for d in days], name="with a fault", marker_color=FAULTY)
    )
    per_set = plan.reps_per_set if plan else None
    per_set = per_set or next((s.reps_prescribed for s in sessions if s.reps_prescribed), None)
    top = max((good[d] + faulty[d] for d in days), default=0)
    if per_set and plan:
        daily = per_set * plan.sets_per_day
        fig.add_hline(
            y=daily, line={"dash": "dash", "color": TARGET},
            annotation_text=f"prescribed: {daily} a day", annotation_position="top left",
        )  # fmt: skip
        top = max(top, daily)
    _pain_marks(fig, sessions, top * 1.08 + 1)
    return _layout(fig, "Reps each day", "reps")


def hold_figure(sessions: Sequence[StoredSession], plan: Plan | None) -> go.Figure:
    """The longest hold each day on each side, against the target."""
    best: dict[str, dict[date, float]] = defaultdict(dict)
    for s in sessions:
        day = local_day(s.started_at)
        for side, held in s.best_hold_s().items():
            best[side][day] = max(best[side].get(day, 0.0), held)
    fig = go.Figure()
    top = 0.0
    for side, per_day in sorted(best.items()):
        days = sorted(per_day)
        fig.add_trace(
            go.Scatter(
                x=[_noon(d) for d in days], y=[per_day[d] for d in days], mode="lines+markers",
                name="hold" if side == "none" else f"{side} side",
                line={"color": SIDE_COLOURS.get(side, LINE)},
                hovertemplate="%{y:.1f} s<extra></extra>",
            )
        )  # fmt: skip
        top = max(top, *per_day.values())
    targets = [s.hold_target_s for s in sessions if s.hold_target_s]
    target = targets[-1] if targets else (plan.hold_target_s if plan else None)
    if target:
        fig.add_hline(
            y=target, line={"dash": "dash", "color": TARGET},
            annotation_text=f"target: {target:g} s", annotation_position="top left",
        )  # fmt: skip
        top = max(top, target)
    _pain_marks(fig, sessions, top * 1.08 + 1)
    return _layout(fig, "Longest hold each day", "seconds")


def rom_figure(sessions: Sequence[StoredSession], plan: Plan | None) -> go.Figure | None:
    """Every rep's (or hold's) range of motion, with the mean of each day; ``None`` without."""
    daily: dict[date, list[float]] = defaultdict(list)
    fig = go.Figure()
    xs: list[datetime] = []
    ys: list[float] = []
    for s in sessions:
        values = rom_values(s)
        xs += [_local(s.started_at)] * len(values)
        ys += values
        daily[local_day(s.started_at)] += values
    if not ys:
        return None
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="markers", name="each rep or hold",
            marker={"color": LINE, "opacity": 0.45, "size": 7},
            hovertemplate="%{y:.2f}<extra></extra>",
        )
    )  # fmt: skip
    days = sorted(daily)
    fig.add_trace(
        go.Scatter(
            x=[_noon(d) for d in days], y=[sum(daily[d]) / len(daily[d]) for d in days],
            mode="lines", name="day's average", line={"color": LINE, "width": 2},
        )
    )  # fmt: skip
    better = sessions[-1].rom_better
    label = plan.rom_label if plan and plan.rom_label else "range of motion"
    unit = rom_unit(sessions[-1].rom_signal) or (plan.rom_unit if plan else None) or ""
    title = f"How far you move: {label}"
    if better:
        title += f" ({better} is better)"
    return _layout(fig, title, unit)


def depth_figure(sessions: Sequence[StoredSession], plan: Plan | None) -> go.Figure | None:
    """A stretch's depth per session on each side: the median over its holds (solid) and the
    best (dotted, open marks), the tighter side named; ``None`` without a measured hold."""
    series = depth_by_side(sessions)
    if not series:
        return None
    same_within = plan.rom_same_within if plan else 0.0
    tighter = tighter_side(sessions, same_within)
    signal = sessions[-1].rom_signal
    unit = rom_unit(signal) or (plan.rom_unit if plan else None) or ""
    decimals = rom_decimals(signal)
    fig = go.Figure()
    for side, points in series.items():
        name = "depth" if side == "none" else f"{side} side"
        if side == tighter.side:
            name += " (tighter)"
        style = {"color": SIDE_COLOURS.get(side, LINE)}
        xs = [_local(p.started_at) for p in points]
        fig.add_trace(
            go.Scatter(
                x=xs, y=[p.median for p in points], mode="lines+markers", name=name,
                line=style, marker={"symbol": SIDE_SYMBOLS.get(side, "circle"), "size": 8},
                hovertemplate=f"%{{y:.{decimals}f}} {unit}, median of the holds<extra></extra>",
            )
        )  # fmt: skip
        best = [(x, p.best) for x, p in zip(xs, points, strict=True) if p.best is not None]
        if best:
            fig.add_trace(
                go.Scatter(
                    x=[b[0] for b in best], y=[b[1] for b in best], mode="lines+markers",
                    name=f"{name}: best", line={**style, "dash": "dot", "width": 1},
                    marker={"symbol": f"{SIDE_SYMBOLS.get(side, 'circle')}-open", "size": 8},
                    hovertemplate=f"%{{y:.{decimals}f}} {unit}, best<extra></extra>",
                )
            )  # fmt: skip
    label = plan.rom_label if plan and plan.rom_label else "range of motion"
    title = f"How deep you stretch: {label}"
    summary = depth_summary(tighter, unit or None, decimals)
    if summary:
        title += f" - {summary.split(':')[0]}"
    better = sessions[-1].rom_better
    y_title = ", ".join(t for t in (unit, f"{better} is better" if better else "") if t)
    return _layout(fig, title, y_title)


def good_share_figure(sessions: Sequence[StoredSession]) -> go.Figure | None:
    """The share of reps done without a fault, each day; ``None`` without reps."""
    days = good_share_by_day(sessions)
    if not days:
        return None
    fig = go.Figure(
        go.Scatter(
            x=[_noon(d) for d, _, _ in days], y=[100 * share for _, share, _ in days],
            mode="lines+markers", line={"color": GOOD}, name="done well",
            customdata=[n for _, _, n in days],
            hovertemplate="%{y:.0f}% of %{customdata} reps<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(range=[0, 105])
    return _layout(fig, "Share of reps done well each day", "%")


def faults_figure(tallies: Sequence[FaultTally]) -> go.Figure | None:
    """How often each fault came up, most frequent on top; ``None`` without faults."""
    if not tallies:
        return None
    ordered = list(reversed(tallies))
    fig = go.Figure(
        go.Bar(
            x=[t.count for t in ordered],
            y=["<br>".join(textwrap.wrap(t.message, 40)) for t in ordered],
            orientation="h", marker_color=FAULTY,
            customdata=[t.sessions for t in ordered],
            hovertemplate="%{x} times in %{customdata} sessions<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        title={"text": "What to work on: how often each fault came up", "font": {"size": 15}},
        height=120 + 45 * len(tallies),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis_title="times",
    )
    # Counts are whole numbers: ticks at whole steps only.
    most = max(t.count for t in tallies)
    fig.update_xaxes(rangemode="tozero", tick0=0, dtick=max(1, math.ceil(most / 6)))
    return fig
