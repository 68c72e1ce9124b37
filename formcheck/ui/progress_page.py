"""Progress page: the chosen patient's history, exercise by exercise, and the clinician report.

At the top, this week's sets against the prescription (the chosen program's, else each
exercise's own). Then one tab per exercise: with two sessions or more, the plots of
:mod:`formcheck.ui.progress_plots`; with one, its numbers. The period chosen here is also the
report's.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from formcheck.history.errors import HistoryError
from formcheck.history.records import Patient, StoredSession
from formcheck.programs import Program, ProgramError, load_program_file, programs_dir
from formcheck.report.trends import (
    DEFAULT_PERIOD_DAYS,
    Period,
    Plan,
    by_exercise,
    depth_summary,
    fault_tallies,
    local_day,
    pain_stops,
    plans_for,
    program_plans,
    rom_decimals,
    rom_unit,
    summarise,
    tighter_side,
    week_adherence,
)
from formcheck.specs.schema import ExerciseSpec
from formcheck.ui import patient as patient_ui
from formcheck.ui import progress_plots
from formcheck.ui.report_download import report_download
from formcheck.ui.resources import specs_or_stop
from formcheck.ui.review import markdown_literal

PROGRAM_KEY = "progress_program"
PERIOD_KEY = "progress_period"


@st.cache_resource(ttl=60, show_spinner=False)
def _programs() -> dict[str, Program]:
    """The valid programs by id; an invalid file is left out (``formcheck program`` says why)."""
    found = {}
    for path in sorted(programs_dir().glob("*.yaml")):
        try:
            program = load_program_file(path)
        except ProgramError:
            continue
        found[program.id] = program
    return found


def _plans(
    sessions: list[StoredSession], specs: dict[str, ExerciseSpec]
) -> tuple[dict[str, Plan], list[str]]:
    """The plans to count against, and the exercises this week's adherence lists."""
    programs = _programs()
    recent = next((s.program for s in reversed(sessions) if s.program in programs), None)
    ids: list[str | None] = [None, *programs]
    chosen = st.selectbox(
        "Program",
        ids,
        index=ids.index(recent),
        format_func=lambda i: "None: each exercise's own prescription" if i is None
        else programs[i].title,
        key=PROGRAM_KEY,
        help="Sets and targets are counted against this program's prescription.",
    )  # fmt: skip
    plans = plans_for(specs)
    if chosen is None:
        return plans, list(by_exercise(sessions))
    program = programs[chosen]
    return plans | program_plans(program, specs), [item.exercise for item in program.exercises]


def _adherence(sessions: list[StoredSession], plans: dict[str, Plan], exercises: list[str]) -> None:
    today = date.today()
    rows = week_adherence(sessions, plans, exercises, today)
    st.subheader("This week")
    if not rows:
        st.caption("Nothing is prescribed for this week.")
        return
    table = [
        {
            "Exercise": r.title,
            "Sets done": r.done,
            "Expected by today": r.expected_by_today,
            "Prescribed this week": r.prescribed,
        }
        for r in rows
    ]
    done = sum(r.done for r in rows)
    expected = sum(r.expected_by_today for r in rows)
    st.metric("Sets done this week", f"{done} of {sum(r.prescribed for r in rows)}")
    st.caption(f"{expected} expected by today (Monday to today).")
    st.dataframe(pd.DataFrame(table), hide_index=True)


def _default_period(sessions: list[StoredSession], today: date) -> Period:
    """The last four weeks, or the whole history when it all happened before them."""
    first = local_day(sessions[0].started_at)
    last = local_day(sessions[-1].started_at)
    recent = today - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return Period(first if last < recent else max(first, recent), max(today, last))


def _period(sessions: list[StoredSession]) -> Period:
    default = _default_period(sessions, date.today())
    picked = st.date_input(
        "Period (plots and report)",
        value=(default.first, default.last),
        max_value=default.last,
        key=PERIOD_KEY,
    )
    days = [d for d in (picked if isinstance(picked, tuple) else (picked,)) if d is not None]
    if len(days) == 2:
        return Period(min(days), max(days))
    return Period(days[0], days[0]) if days else default


def _one_session(s: StoredSession, plan: Plan | None) -> None:
    st.caption(
        f"One session so far ({s.started_at.astimezone():%d %b %Y, %H:%M}): "
        "its numbers are below; the trends appear from the second session."
    )
    (summary,) = summarise([s], {s.exercise: plan} if plan else {})
    cols = st.columns(4)
    if summary.kind == "reps":
        target = f" of {s.reps_prescribed}" if s.reps_prescribed else ""
        cols[0].metric("Reps", f"{s.reps_done}{target}")
        good = f"{s.reps_good / s.reps_done:.0%}" if s.reps_done else "-"
        cols[1].metric("Done well", good)
    else:
        best = max(summary.best_hold_s.values(), default=0.0)
        target = f" of {summary.hold_target_s:g}" if summary.hold_target_s else ""
        cols[0].metric("Longest hold", f"{best:.1f}{target} s")
        cols[1].metric("Holds", sum(h.counted for h in s.holds))
    if summary.mean_rom is not None:
        unit = "" if summary.rom_unit in (None, "deg") else f" {summary.rom_unit}"
        number = (
            f"{summary.mean_rom:.0f}" if summary.rom_unit == "deg" else f"{summary.mean_rom:.2f}"
        )
        cols[2].metric("Range of motion", number + (" deg" if summary.rom_unit == "deg" else unit))
    cols[3].metric("Camera could judge", f"{1 - s.cannot_judge_share:.0%}")


def _depth_caption(group: list[StoredSession], plan: Plan | None) -> None:
    """The tighter side of a stretch in words, over the plots."""
    tighter = tighter_side(group, plan.rom_same_within if plan else 0.0)
    signal = group[-1].rom_signal
    unit = rom_unit(signal) or (plan.rom_unit if plan else None)
    summary = depth_summary(tighter, unit, rom_decimals(signal), group[-1].rom_better)
    if summary:
        st.caption(f"Depth: {summary}.")


def _exercise(group: list[StoredSession], plan: Plan | None, key: str) -> None:
    stops = pain_stops(group)
    for s in stops:
        st.error(
            f"Stopped because it hurt on {s.started_at.astimezone():%d %b at %H:%M} "
            f"({s.duration_s:.0f} s in)."
        )
    tallies = fault_tallies(group)
    if len(group) == 1:
        _one_session(group[0], plan)
        if group[0].holds:
            _depth_caption(group, plan)
    else:
        kind = summarise(group, {group[0].exercise: plan} if plan else {})[0].kind
        first = (
            progress_plots.reps_figure(group, plan)
            if kind == "reps"
            else progress_plots.hold_figure(group, plan)
        )
        figures = [
            first,
            progress_plots.rom_figure(group, plan)
            if kind == "reps"
            else progress_plots.depth_figure(group, plan),
            progress_plots.good_share_figure(group) if kind == "reps" else None,
        ]
        shown = [f for f in figures if f is not None]
        if kind == "hold":
            _depth_caption(group, plan)
        cols = st.columns(2)
        for i, fig in enumerate(shown):
            cols[i % 2].plotly_chart(fig, width="stretch", key=f"{key}_plot_{i}")
    faults = progress_plots.faults_figure(tallies)
    if faults is not None:
        st.plotly_chart(faults, width="stretch", key=f"{key}_faults")
    elif group:
        st.caption("No faults found in this period.")


def _history(patient: Patient) -> list[StoredSession] | None:
    try:
        return patient_ui.store().sessions(patient.id)
    except HistoryError as exc:
        st.error(f"The history could not be read: {markdown_literal(str(exc))}.")
        return None


def render() -> None:
    """Draw the Progress page."""
    st.title("Progress")
    patient = patient_ui.current()
    if patient is None:
        st.info(f"{patient_ui.NO_PATIENT} Use the sidebar; the progress then shows here.")
        return
    sessions = _history(patient)
    if sessions is None:
        return
    if not sessions:
        st.info(
            f"No sessions yet for {patient_ui.shown_name(patient)}. Finish a set on the Practice "
            "page, or analyse a clip on the Review page, with this patient chosen: it shows here."
        )
        return
    specs = specs_or_stop()
    plans, listed = _plans(sessions, specs)
    _adherence(sessions, plans, listed)
    period = _period(sessions)
    report_download(patient, period, plans, key="progress_report")
    first, last = period.first, period.last
    shown = [s for s in sessions if first <= local_day(s.started_at) <= last]
    if not shown:
        st.info(f"No sessions between {period.label}.")
        return
    groups = by_exercise(shown)
    titles = [plans[e].title if e in plans else e for e in groups]
    for tab, (exercise, group), title in zip(st.tabs(titles), groups.items(), titles, strict=True):
        with tab:
            st.markdown(f"**{title}**: {len(group)} session{'s' if len(group) > 1 else ''}")
            _exercise(group, plans.get(exercise), key=f"progress_{exercise}")
