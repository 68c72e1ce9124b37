"""The Review page's timeline: the key angle over time with reps, holds and faults shaded."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from formcheck.engine.session import FrameState, SessionResult
from formcheck.signals.catalog import SIGNALS
from formcheck.specs.schema import ExerciseSpec
from formcheck.ui.review import signal_label

GOOD_FILL = "rgba(60, 200, 90, 0.16)"
FAULTY_FILL = "rgba(245, 160, 40, 0.20)"
HOLD_FILL = "rgba(70, 130, 230, 0.16)"
FAULT_FILL = "rgba(235, 70, 60, 0.45)"
LINE = "rgb(30, 60, 120)"
MEASURE_LINE = "rgb(150, 60, 150)"


def _signal_line(
    t: list[float], values: list[float], name: str, line: dict[str, Any], yaxis: str = "y"
) -> go.Scatter:
    """One signal over time; frames without a value leave a gap."""
    return go.Scatter(
        x=t,
        y=[None if math.isnan(v) else v for v in values],
        mode="lines",
        name=signal_label(name),
        line=line,
        connectgaps=False,
        yaxis=yaxis,
        hovertemplate="%{x:.2f} s: %{y:.0f}<extra></extra>",
    )


def timeline_figure(
    spec: ExerciseSpec, states: list[FrameState], result: SessionResult
) -> go.Figure:
    """Plot ``spec.key_signal`` per frame with the session's events.

    Reps are shaded over their whole duration (green when good, amber when faulty) with their
    boundaries drawn; holds are shaded blue; each fault interval is a red strip along the top so it
    stays readable where it overlaps a rep.

    Args:
        spec: The exercise (its key signal is plotted).
        states: The engine's state for every frame.
        result: The session result (reps, holds, faults).

    Returns:
        A plotly figure; frames without a value leave a gap in the line.
    """
    name = spec.key_signal
    t = [s.t_s for s in states]
    y = [s.signals.get(name, math.nan) for s in states]
    fig = go.Figure()
    fig.add_trace(_signal_line(t, y, name, {"color": LINE, "width": 2}))
    # Signals reported per rep (how much the back bent) on their own axis on the right: those in
    # the first one's unit (the squat's knee offsets, in thigh lengths, are in the reps table).
    reported = spec.reps.report if spec.reps else []
    reported = [m for m in reported if SIGNALS[m].unit == SIGNALS[reported[0]].unit]
    for measure in reported:
        values = [s.signals.get(measure, math.nan) for s in states]
        style = {"color": MEASURE_LINE, "width": 1.5, "dash": "dot"}
        fig.add_trace(_signal_line(t, values, measure, style, yaxis="y2"))
    for rep in result.reps:
        fig.add_vrect(
            x0=rep.start_s,
            x1=rep.end_s,
            fillcolor=GOOD_FILL if rep.good else FAULTY_FILL,
            line={"width": 1, "color": "rgba(0,0,0,0.35)", "dash": "dot"},
            layer="below",
            annotation_text=f"rep {rep.index}",
            annotation_position="top left",
        )
    for hold in result.holds:
        fig.add_vrect(
            x0=hold.start_s,
            x1=hold.end_s,
            fillcolor=HOLD_FILL,
            line_width=0,
            layer="below",
            annotation_text=f"hold {hold.duration_s:.0f} s ({hold.side})",
            annotation_position="top left",
        )
    for fault in result.faults:
        fig.add_shape(
            type="rect",
            xref="x",
            yref="paper",
            x0=fault.start_s,
            x1=max(fault.end_s, fault.start_s + 0.05),
            y0=0.0,
            y1=0.06,
            fillcolor=FAULT_FILL,
            line_width=0,
            layer="above",
        )
    # An invisible trace per fault kind gives the red strips a legend entry with the rule id.
    for rule in sorted({f.rule for f in result.faults}):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"size": 10, "color": FAULT_FILL, "symbol": "square"},
                name=f"fault: {rule}",
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title="time (s)",
        yaxis_title=signal_label(name),
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hovermode="x",
    )
    if reported:
        fig.update_layout(
            yaxis2={
                "title": signal_label(reported[0]),
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
            }
        )
    return fig
