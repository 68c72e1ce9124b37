"""A stretch's depth over time in the clinician report: the depth series per session and side,
the tighter side, the shared day axis of every trend panel (for 1, 2, 3 and many sessions), and
the report's text naming the tighter side.

Sessions here are plain :class:`StoredSession` values made by :func:`stored`; the report test at
the end saves real results (:func:`tests.support.sessions.two_sided_stretch`) to a history file.
"""

from __future__ import annotations

import math
import re
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from matplotlib.axes import Axes
from matplotlib.dates import num2date

from formcheck.history.from_result import context_for
from formcheck.history.records import StoredHold
from formcheck.history.store import HistoryStore
from formcheck.report import figures
from formcheck.report.pdf import ReportData, build_pdf
from formcheck.report.trends import (
    DayAxis,
    Period,
    TighterSide,
    day_axis,
    depth_by_side,
    depth_summary,
    plans_for,
    tighter_side,
)
from formcheck.specs.loader import load_all_specs, load_spec
from tests.support.pdf import poppler
from tests.support.sessions import two_sided_stretch
from tests.support.stored import (
    DAY_0,
    STRETCH,
    hold,
    local,
    rep_days,
    stored,
    stretch_days,
)

BUTTERFLY = "seated_butterfly"  # knee_height_torso, lower is better, even within 0.05


# -- the depth series and the tighter side -------------------------------------------------------

DEPTH_SERIES = [
    # (scenario, each session's holds, expected side -> [(median, best, longest hold)])
    (
        "one hold a side: its median and its best",
        [[hold("left", 100.0, 104.0), hold("right", 90.0, 93.0)]],
        {"left": [(100.0, 104.0, 20.0)], "right": [(90.0, 93.0, 20.0)]},
    ),
    (
        "three holds on a side: median of the medians, best of the bests, longest hold",
        [
            [
                hold("left", 100.0, 101.0, 10.0),
                hold("left", 96.0, 108.0, 25.0),
                hold("left", 110.0, 112.0, 15.0),
            ]
        ],
        {"left": [(100.0, 112.0, 25.0)]},
    ),
    (
        "a short stay and a hold with no depth measured are left out",
        [
            [
                hold("left", 80.0, 85.0, 1.0, counted=False),
                hold("left", None),
                hold("left", 100.0, 103.0),
            ]
        ],
        {"left": [(100.0, 103.0, 20.0)]},
    ),
    (
        "a hold saved before the best was recorded: the median, no best",
        [[hold("right", 90.0)], [hold("right", 92.0, 95.0)]],
        {"right": [(90.0, None, 20.0), (92.0, 95.0, 20.0)]},
    ),
    (
        "a session without any measured hold on a side adds no point there",
        [[hold("left", 100.0, 104.0), hold("right", None)], [hold("right", 91.0, 94.0)]],
        {"left": [(100.0, 104.0, 20.0)], "right": [(91.0, 94.0, 20.0)]},
    ),
    (
        "a stretch held with both legs at once is one series",
        [[hold("none", 70.0, 74.0)], [hold("none", 75.0, 77.0)]],
        {"none": [(70.0, 74.0, 20.0), (75.0, 77.0, 20.0)]},
    ),
]


@pytest.mark.parametrize(
    ("holds", "expected"),
    [pytest.param(h, e, id=name) for name, h, e in DEPTH_SERIES],
)
def test_depth_per_session_and_side(
    holds: list[list[StoredHold]], expected: dict[str, list[tuple[Any, ...]]]
) -> None:
    sessions = [stored(local(k), h, session_id=k + 1) for k, h in enumerate(holds)]
    series = depth_by_side(reversed(sessions))  # put in time order whatever the input's order
    assert {side: [(p.median, p.best, p.hold_s) for p in pts] for side, pts in series.items()} == (
        expected
    )
    for points in series.values():
        assert [p.started_at for p in points] == sorted(p.started_at for p in points)


def test_the_best_of_a_lower_is_better_stretch_is_its_lowest() -> None:
    # Scenario: seated butterfly, knees lower is further; the best over holds is the lowest.
    session = stored(local(0), [hold("none", 0.5, 0.42), hold("none", 0.48, 0.4)], BUTTERFLY)
    (point,) = depth_by_side([session])["none"]
    assert (point.median, point.best) == (pytest.approx(0.49), 0.4)


TIGHTER = [
    # (scenario, exercise, left depths, right depths, same_within, tighter, difference)
    ("higher is better, left reaches less", STRETCH, [90.0, 92.0], [100.0, 104.0], 5.0,
     "left", 11.0),
    ("higher is better, right reaches less", STRETCH, [100.0], [88.0, 90.0, 120.0], 5.0,
     "right", 10.0),
    ("lower is better: the side with the higher knee is tighter", BUTTERFLY, [0.40], [0.52],
     0.05, "right", 0.12),
    ("lower is better, left knee higher", BUTTERFLY, [0.61, 0.6], [0.5], 0.05, "left", 0.105),
    ("within same_within the sides are even", STRETCH, [100.0], [96.0], 5.0, "even", 4.0),
    ("one side only: no tighter side", STRETCH, [100.0], [], 5.0, None, None),
    ("nothing measured: no tighter side", STRETCH, [], [], 5.0, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("exercise", "left", "right", "same_within", "side", "difference"),
    [pytest.param(*row[1:], id=row[0]) for row in TIGHTER],
)
def test_the_tighter_side_is_the_one_with_the_worse_typical_depth(
    exercise: str,
    left: list[float],
    right: list[float],
    same_within: float,
    side: str | None,
    difference: float | None,
) -> None:
    # One session per hold, so the typical depth is over sessions, not within one.
    holds = [hold("left", v) for v in left] + [hold("right", v) for v in right]
    sessions = [stored(local(k), [h], exercise, session_id=k) for k, h in enumerate(holds)]
    tighter = tighter_side(sessions, same_within)
    assert tighter.side == side
    if difference is None:
        assert tighter.difference is None
    else:
        assert tighter.difference == pytest.approx(difference)


SUMMARIES = [
    # (scenario, tighter side, unit, decimals, better, text)
    ("degrees", "right", "deg", 0, "higher",
     "right side tighter: typically 90 against 102 deg (higher is better)"),
    ("body lengths", "left", "torso lengths", 2, "lower",
     "left side tighter: typically 0.61 against 0.50 torso lengths (lower is better)"),
    ("even", "even", "deg", 0, None, "sides even: typically left 102, right 90 deg"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("side", "unit", "decimals", "better", "text"),
    [pytest.param(*row[1:], id=row[0]) for row in SUMMARIES],
)
def test_the_tighter_side_in_words(
    side: str, unit: str, decimals: int, better: str | None, text: str
) -> None:
    typical = {"left": 102.0, "right": 90.0} if unit == "deg" else {"left": 0.61, "right": 0.5}
    tighter = TighterSide(side, typical, 12.0)
    assert depth_summary(tighter, unit, decimals, better) == text


# -- the date axis ---------------------------------------------------------------------------------

DAY_AXES = [
    # (scenario, days with data (offsets from DAY_0), first, last, step, ticks)
    ("one day", [0], 0, 0, 1, [0]),
    ("three sessions on one day", [0, 0, 0], 0, 0, 1, [0]),
    ("two days apart", [0, 2], 0, 2, 1, [0, 1, 2]),
    ("three days", [0, 1, 3], 0, 3, 1, [0, 1, 2, 3]),
    ("twelve sessions over four weeks: weekly", [0, 1, 2, 4, 6, 8, 9, 11, 14, 17, 20, 25],
     0, 25, 7, [0, 7, 14, 21]),
    ("nine days: every second day", list(range(9)), 0, 8, 2, [0, 2, 4, 6, 8]),
    ("seven weeks: every two weeks", [0, 50], 0, 50, 14, [0, 14, 28, 42]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("days", "first", "last", "step", "ticks"),
    [pytest.param(*row[1:], id=row[0]) for row in DAY_AXES],
)
def test_a_day_axis_spans_the_data_days(
    days: list[int], first: int, last: int, step: int, ticks: list[int]
) -> None:
    axis = day_axis([DAY_0 + timedelta(days=d) for d in reversed(days)], max_ticks=7)
    assert (axis.first, axis.last, axis.step_days) == (
        DAY_0 + timedelta(days=first), DAY_0 + timedelta(days=last), step,
    )  # fmt: skip
    assert axis.ticks == [DAY_0 + timedelta(days=t) for t in ticks]
    left, right = axis.limits()
    assert left < datetime.combine(axis.first, datetime.min.time())
    assert right > datetime.combine(axis.last + timedelta(days=1), datetime.min.time())
    assert (right - left) < timedelta(days=last - first + 1.5)
    assert axis.tick_format == "%d %b"


def test_an_axis_across_new_year_shows_the_year() -> None:
    assert DayAxis(date(2026, 12, 30), date(2027, 1, 2), 1).tick_format == "%d %b %Y"


# -- the drawn strips -----------------------------------------------------------------------------

TICK_LABEL = re.compile(r"^\d{2} [A-Z][a-z]{2}$")


SESSION_DAYS = {
    "1 session": [0],
    "2 sessions": [0, 1],
    "3 sessions on one day": [0, 0, 0],
    "3 sessions": [0, 1, 3],
    "12 sessions": [0, 1, 2, 4, 6, 8, 9, 11, 14, 17, 20, 25],
}


def drawn_days(ax: Axes) -> tuple[float, float]:
    """The panel's x limits in days after DAY_0's local midnight."""
    midnight = local(0, 0).replace(tzinfo=None)
    low, high = (num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    return (low - midnight) / timedelta(days=1), (high - midnight) / timedelta(days=1)


@pytest.mark.parametrize("kind", ["stretch", "reps"])
@pytest.mark.parametrize("count", list(SESSION_DAYS))
def test_every_panel_spans_the_data_days_with_day_ticks_only(kind: str, count: str) -> None:
    days = SESSION_DAYS[count]
    sessions = stretch_days(days) if kind == "stretch" else rep_days(days)
    exercise = sessions[0].exercise
    fig = figures.trend_figure(sessions, plans_for(load_all_specs())[exercise])
    panels = [ax for ax in fig.axes if ax.axison]
    expected = ["hold", "depth"] if kind == "stretch" else ["reps", "rom", "good"]
    assert figures.panels_for(sessions, None) == expected
    assert len(panels) == len(expected)
    for ax in panels:
        low, high = drawn_days(ax)
        # The data's days and a little padding: never years around one point.
        assert -0.5 < low <= 0 and days[-1] + 1 <= high < days[-1] + 1.5, (ax.get_title(), low)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels and all(TICK_LABEL.match(t) for t in labels), labels
        assert len(labels) == len(set(labels)) <= 7
        assert labels[0] == DAY_0.strftime("%d %b")


def test_the_depth_panel_draws_each_side_and_names_the_tighter_one() -> None:
    sessions = stretch_days([0, 1, 3])
    plan = plans_for(load_all_specs())[STRETCH]
    fig = figures.trend_figure(sessions, plan)
    depth = [ax for ax in fig.axes if ax.get_title(loc="left").strip().startswith("Depth")]
    (ax,) = depth
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    assert lines["left, median"] == [100.0, 101.0, 102.0]
    assert lines["left, best"] == [104.0, 105.0, 106.0]
    assert lines["right (tighter), median"] == [88.0, 89.0, 90.0]
    assert lines["right (tighter), best"] == [91.0, 92.0, 93.0]
    title = " ".join(ax.get_title(loc="left").split())
    assert title == (
        "Depth (deg, higher is better): angle between the thighs (back hip stretched open)"
    )
    assert figures.depth_note(sessions, plan) == (
        "right side tighter: typically 89 against 101 deg (higher is better)"
    )


def test_the_good_reps_panel_of_three_sets_on_one_day_spans_that_day() -> None:
    # The first sessions' case: three squat sets on one morning, one day of good-rep share.
    sessions = rep_days([0, 0, 0], "box_squat")
    fig = figures.trend_figure(sessions, plans_for(load_all_specs())["box_squat"])
    (good,) = [ax for ax in fig.axes if "Good reps" in ax.get_title(loc="left")]
    low, high = drawn_days(good)
    assert high - low < 1.5
    assert [t.get_text() for t in good.get_xticklabels()] == [DAY_0.strftime("%d %b")]


# -- the report ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "tighter"), [(1, "right"), (3, "right"), (12, "left")])
def test_the_report_names_the_tighter_side_of_a_stretch(
    tmp_path: Path, count: int, tighter: str
) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    spec = load_spec(STRETCH)
    days = SESSION_DAYS["12 sessions"][:count]
    with HistoryStore(url) as store:
        anna = store.add_patient("Anna K")
        for k, day in enumerate(days):
            deep, short = 100.0 + k, 88.0 + k
            left, right = (deep, short) if tighter == "right" else (short, deep)
            start = local(day)
            context = context_for(spec, "practice", start, start + timedelta(minutes=1))
            store.save_session(anna.id, two_sided_stretch(left, right), context)
        sessions = store.sessions(anna.id)
    assert [round(h.rom_best - h.rom, 2) for s in sessions for h in s.holds if h.rom] == (
        [4.0] * 2 * count
    )
    period = Period(DAY_0, DAY_0 + timedelta(days=days[-1]))
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_pdf(ReportData(anna, period, sessions, plans_for(load_all_specs()))))
    text = subprocess.run(
        [poppler("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    typical_short = 88.0 + (count - 1) / 2
    typical_deep = 100.0 + (count - 1) / 2
    expected = (
        f"{tighter} side tighter: typically {typical_short:.0f} against "
        f"{typical_deep:.0f} deg (higher is better)."
    )
    if count == 1:  # no strip for one session: named under the list of those done once
        assert f"Hip-flexor stretch (kneeling): {expected}" in flat
    else:  # under the strip's heading
        heading = f"Hip-flexor stretch (kneeling) ({count} sessions)"
        assert f"{heading} {expected[0].upper()}{expected[1:]}" in flat
    assert math.isclose(typical_deep - typical_short, 12.0)
