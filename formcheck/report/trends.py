"""A period of one patient's history, per exercise: the numbers behind the progress page and the
clinician's report.

Plain arithmetic on :class:`~formcheck.history.records.StoredSession` values: no drawing and no
database. Days are the local calendar days of this computer, which is how a patient counts them.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from formcheck.history.records import StoredSession
from formcheck.programs import Program
from formcheck.signals.catalog import SIGNALS, shown_decimals
from formcheck.specs.schema import ExerciseSpec

# A report covers four weeks unless told otherwise: the usual gap between two appointments.
DEFAULT_PERIOD_DAYS = 28
# A fault seen this often in a period is one to work on (once may be a slip).
RECURRING_AT = 2
_UNIT_WORDS = {
    "deg": "deg",
    "leg": "leg lengths",
    "thigh": "thigh lengths",
    "torso": "torso lengths",
}


def local_day(t: datetime) -> date:
    """The local calendar day of a stored (UTC) time."""
    return t.astimezone().date()


@dataclass(frozen=True)
class Period:
    """Whole local days from ``first`` to ``last``, both included."""

    first: date
    last: date

    def bounds(self) -> tuple[datetime, datetime]:
        """(since, until) for :meth:`HistoryStore.sessions`: naive local midnights, ``until``
        the midnight after ``last``."""
        return datetime.combine(self.first, time()), datetime.combine(
            self.last + timedelta(days=1), time()
        )

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        """The period for headings, e.g. ``2024-05-01 to 2024-05-28``."""
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def default_period(last: date, first: date | None = None) -> Period:
    """``first`` to ``last``, or the :data:`DEFAULT_PERIOD_DAYS` days ending on ``last``."""
    return Period(first or last - timedelta(days=DEFAULT_PERIOD_DAYS - 1), last)


@dataclass(frozen=True)
class Plan:
    """What is prescribed for one exercise, as far as counting sets and targets goes.

    Attributes:
        title: The exercise's name for people.
        kind: ``reps`` or ``hold``.
        sets_per_day: Sets (reps) or holds per side (hold) a day, times the sessions a day.
        reps_per_set: Reps prescribed per set.
        hold_target_s: Target hold.
        both_sides: Holds are done on each side, so two holds make one round.
        rom_label: What the range-of-motion number measures, in plain words.
        rom_unit: Its unit in words (``deg``, ``leg lengths``).
        rom_same_within: Sides whose typical depths are this close are called even.
    """

    title: str
    kind: str
    sets_per_day: int
    reps_per_set: int | None = None
    hold_target_s: float | None = None
    both_sides: bool = False
    rom_label: str | None = None
    rom_unit: str | None = None
    rom_same_within: float = 0.0


def rom_unit(signal: str | None) -> str | None:
    """The unit of a range-of-motion signal in words, ``None`` when unknown."""
    if signal is None or signal not in SIGNALS:
        return None
    unit = SIGNALS[signal].unit
    return _UNIT_WORDS.get(unit, unit)


def plan_for(spec: ExerciseSpec) -> Plan:
    """The plan an exercise's own prescription gives."""
    p = spec.prescription
    per_set = p.sets if spec.kind == "reps" else p.repeats
    return Plan(
        title=spec.title,
        kind=spec.kind,
        sets_per_day=(per_set or 1) * (p.per_day or 1),
        reps_per_set=p.reps if spec.kind == "reps" else None,
        hold_target_s=p.hold_s if spec.kind == "hold" else None,
        both_sides=p.both_sides,
        rom_label=spec.rom.label if spec.rom else None,
        rom_unit=rom_unit(spec.rom.signal) if spec.rom else None,
        rom_same_within=spec.rom.same_within if spec.rom else 0.0,
    )


def plans_for(specs: Mapping[str, ExerciseSpec]) -> dict[str, Plan]:
    """Every exercise's plan from its own prescription."""
    return {exercise: plan_for(spec) for exercise, spec in specs.items()}


def program_plans(program: Program, specs: Mapping[str, ExerciseSpec]) -> dict[str, Plan]:
    """The plans of a program's exercises, its own sets, reps and hold times in place of the
    exercises' (a program is done once a day)."""
    plans = {}
    for item in program.exercises:
        spec = specs.get(item.exercise)
        if spec is None:
            continue
        base = plan_for(spec)
        own = spec.prescription.sets if spec.kind == "reps" else spec.prescription.repeats
        sets = item.sets or own or 1
        both = item.sides == "both" if item.sides else base.both_sides
        plans[item.exercise] = Plan(
            title=base.title,
            kind=base.kind,
            sets_per_day=sets,
            reps_per_set=item.reps or base.reps_per_set,
            hold_target_s=item.hold_s or base.hold_target_s,
            both_sides=both,
            rom_label=base.rom_label,
            rom_unit=base.rom_unit,
            rom_same_within=base.rom_same_within,
        )
    return plans


def session_kind(session: StoredSession, plan: Plan | None) -> str:
    """``reps`` or ``hold``: the plan's, else what the session holds."""
    if plan is not None:
        return plan.kind
    return "hold" if session.holds and not session.reps_done else "reps"


def sets_done(session: StoredSession, plan: Plan | None) -> int:
    """The sets a session counts for: one, or as many full sets as its reps (or rounds of
    holds) fill; none when nothing was counted."""
    if session_kind(session, plan) == "reps":
        done = session.reps_done
        per_set = session.reps_prescribed or (plan.reps_per_set if plan else None)
    else:
        done = sum(1 for h in session.holds if h.counted)
        per_set = 2 if plan is not None and plan.both_sides else 1
    if done == 0:
        return 0
    return max(1, done // per_set) if per_set else 1


def rom_values(session: StoredSession) -> list[float]:
    """Range of motion of every rep, or of every counted hold, in session order."""
    reps = [r.rom for r in session.reps if r.rom is not None and math.isfinite(r.rom)]
    if reps:
        return reps
    return [
        h.rom for h in session.holds if h.counted and h.rom is not None and math.isfinite(h.rom)
    ]


def rom_decimals(signal: str | None) -> int:
    """Decimals a range-of-motion value of ``signal`` is shown with (whole degrees)."""
    return shown_decimals(SIGNALS[signal].unit) if signal in SIGNALS else 2


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


@dataclass(frozen=True)
class DepthPoint:
    """How deep one session's holds on one side went.

    Attributes:
        started_at: When the session began (UTC).
        median: The median of its counted holds' depths (each the median over its hold).
        best: The best depth reached in any of them (``None`` when none was recorded).
        hold_s: Its longest counted hold on this side.
    """

    started_at: datetime
    median: float
    best: float | None
    hold_s: float


def _better(values: Iterable[float], better: str | None) -> float:
    return min(values) if better == "lower" else max(values)


def depth_by_side(sessions: Iterable[StoredSession]) -> dict[str, list[DepthPoint]]:
    """Each side's depth per session, oldest first: one point for each session with a counted
    hold whose depth was measured on that side. Sides are ``left``, ``right`` or ``none``."""
    out: dict[str, list[DepthPoint]] = defaultdict(list)
    for s in sorted(sessions, key=lambda s: (s.started_at, s.id)):
        for side in sorted({h.side for h in s.holds}):
            held = [h for h in s.holds if h.side == side and h.counted and _finite(h.rom)]
            if not held:
                continue
            bests = [h.rom_best for h in held if h.rom_best is not None and _finite(h.rom_best)]
            out[side].append(
                DepthPoint(
                    s.started_at,
                    statistics.median(h.rom for h in held if h.rom is not None),
                    _better(bests, s.rom_better) if bests else None,
                    max(h.duration_s for h in held),
                )
            )
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class TighterSide:
    """Which side stretches less far over a period.

    Attributes:
        side: ``left`` or ``right``; ``even`` when the typical depths are within the spec's
            ``same_within``; ``None`` unless both sides have measured holds.
        typical: Each side's typical depth: the median of its counted holds' depths.
        difference: How far apart the two typical depths are.
    """

    side: str | None
    typical: dict[str, float]
    difference: float | None


def tighter_side(sessions: Iterable[StoredSession], same_within: float = 0.0) -> TighterSide:
    """The side whose typical depth is worse (lower, or higher where the spec's ``rom.better``
    is ``lower``), from every counted hold of the period."""
    items = list(sessions)
    better = next((s.rom_better for s in reversed(items) if s.rom_better), None)
    depths: dict[str, list[float]] = defaultdict(list)
    for s in items:
        for h in s.holds:
            if h.counted and h.rom is not None and math.isfinite(h.rom):
                depths[h.side].append(h.rom)
    typical = {side: statistics.median(v) for side, v in sorted(depths.items())}
    if "left" not in typical or "right" not in typical:
        return TighterSide(None, typical, None)
    difference = abs(typical["left"] - typical["right"])
    if difference <= same_within:
        return TighterSide("even", typical, difference)
    left_worse = (
        typical["left"] > typical["right"]
        if better == "lower"
        else (typical["left"] < typical["right"])
    )
    return TighterSide("left" if left_worse else "right", typical, difference)


def depth_summary(
    tighter: TighterSide, unit: str | None, decimals: int, better: str | None = None
) -> str:
    """The tighter side in words, e.g. ``right side tighter: typically 90 against 102 deg
    (higher is better)``; empty unless both sides were measured."""
    if tighter.side is None:
        return ""
    better_text = f" ({better} is better)" if better else ""
    unit_text = f" {unit}" if unit else ""
    left, right = tighter.typical["left"], tighter.typical["right"]
    if tighter.side == "even":
        return (
            f"sides even: typically left {left:.{decimals}f}, right {right:.{decimals}f}"
            f"{unit_text}{better_text}"
        )
    worse, other = (left, right) if tighter.side == "left" else (right, left)
    return (
        f"{tighter.side} side tighter: typically {worse:.{decimals}f} against "
        f"{other:.{decimals}f}{unit_text}{better_text}"
    )


@dataclass(frozen=True)
class DayAxis:
    """A date axis over whole local days: the data's first to last day, ticked at noon.

    Attributes:
        first: The first day shown.
        last: The last day shown.
        step_days: Days between two ticks (1, 2, 7, 14, ...).
    """

    first: date
    last: date
    step_days: int

    @property
    def ticks(self) -> list[date]:
        """The days ticked, from ``first`` every ``step_days``."""
        count = (self.last - self.first).days // self.step_days + 1
        return [self.first + timedelta(days=self.step_days * k) for k in range(count)]

    def limits(self, pad_days: float = 0.15) -> tuple[datetime, datetime]:
        """(left, right) naive local times: midnight before ``first`` to the midnight after
        ``last``, padded so a mark at either edge is drawn whole."""
        pad = timedelta(days=pad_days)
        start = datetime.combine(self.first, time()) - pad
        return start, datetime.combine(self.last + timedelta(days=1), time()) + pad

    @property
    def tick_format(self) -> str:
        """The strftime format of a tick: day and month, with the year when the span crosses one."""
        return "%d %b" if self.first.year == self.last.year else "%d %b %Y"


def day_axis(days: Iterable[date], max_ticks: int = 6) -> DayAxis:
    """The date axis over ``days`` (at least one): one tick a day while that keeps to
    ``max_ticks``, else every 2 days, then whole weeks."""
    ordered = sorted(days)
    first, last = ordered[0], ordered[-1]
    span = (last - first).days + 1
    step = 1
    for step in (1, 2, 7, 14, 28, 56, 91, 182, 364):
        if math.ceil(span / step) <= max_ticks:
            break
    else:
        step = math.ceil(span / max_ticks)
    return DayAxis(first, last, step)


def judged_share_missing(sessions: Iterable[StoredSession]) -> float:
    """Share of the frames the camera could not judge, over all the sessions' frames."""
    items = list(sessions)
    frames = sum(s.frames for s in items)
    if frames:
        return sum(s.cannot_judge_share * s.frames for s in items) / frames
    return sum(s.cannot_judge_share for s in items) / len(items) if items else 0.0


@dataclass(frozen=True)
class ExerciseSummary:
    """One exercise over a period: the row of the report's table."""

    exercise: str
    title: str
    kind: str
    sessions: int
    sets: int
    reps_good: int
    reps_faulty: int
    best_hold_s: dict[str, float]  # per side
    hold_target_s: float | None
    mean_rom: float | None
    rom_unit: str | None
    rom_better: str | None
    cannot_judge_share: float
    pain_stops: int

    @property
    def reps_done(self) -> int:
        """Reps done, good and faulty."""
        return self.reps_good + self.reps_faulty


def by_exercise(sessions: Iterable[StoredSession]) -> dict[str, list[StoredSession]]:
    """Sessions grouped by exercise (sorted by id), each group oldest first."""
    groups: dict[str, list[StoredSession]] = defaultdict(list)
    for s in sorted(sessions, key=lambda s: (s.started_at, s.id)):
        groups[s.exercise].append(s)
    return dict(sorted(groups.items()))


def summarise(
    sessions: Iterable[StoredSession], plans: Mapping[str, Plan]
) -> list[ExerciseSummary]:
    """One summary per exercise, most practised (by sessions) first."""
    out = []
    for exercise, group in by_exercise(sessions).items():
        plan = plans.get(exercise)
        best: dict[str, float] = {}
        for s in group:
            for side, held in s.best_hold_s().items():
                best[side] = max(best.get(side, 0.0), held)
        roms = [v for s in group for v in rom_values(s)]
        targets = [s.hold_target_s for s in group if s.hold_target_s]
        out.append(
            ExerciseSummary(
                exercise=exercise,
                title=plan.title if plan else exercise,
                kind=session_kind(group[-1], plan),
                sessions=len(group),
                sets=sum(sets_done(s, plan) for s in group),
                reps_good=sum(s.reps_good for s in group),
                reps_faulty=sum(s.reps_faulty for s in group),
                best_hold_s=best,
                hold_target_s=targets[-1] if targets else (plan.hold_target_s if plan else None),
                mean_rom=sum(roms) / len(roms) if roms else None,
                rom_unit=rom_unit(group[-1].rom_signal) or (plan.rom_unit if plan else None),
                rom_better=group[-1].rom_better,
                cannot_judge_share=judged_share_missing(group),
                pain_stops=sum(s.stopped_for_pain for s in group),
            )
        )
    out.sort(key=lambda e: (-e.sessions, e.title))
    return out


def good_share_by_day(sessions: Iterable[StoredSession]) -> list[tuple[date, float, int]]:
    """(day, share of reps without a fault, reps) for each day with reps, in order."""
    good: Counter[date] = Counter()
    done: Counter[date] = Counter()
    for s in sessions:
        day = local_day(s.started_at)
        good[day] += s.reps_good
        done[day] += s.reps_done
    return [(day, good[day] / done[day], done[day]) for day in sorted(done) if done[day]]


@dataclass(frozen=True)
class FaultExample:
    """Where a fault was seen: its session and the middle of its interval (seconds)."""

    session: StoredSession
    t_s: float


@dataclass(frozen=True)
class FaultTally:
    """How often one rule of one exercise was broken in a period.

    Attributes:
        examples: Every time it was seen, newest session first (for a still frame).
    """

    exercise: str
    rule: str
    message: str
    count: int
    sessions: int
    examples: tuple[FaultExample, ...]

    @property
    def recurring(self) -> bool:
        """Broken often enough (``RECURRING_AT`` times) to be reported as recurring."""
        return self.count >= RECURRING_AT


def fault_tallies(sessions: Iterable[StoredSession]) -> list[FaultTally]:
    """Every fault of the period, most frequent first."""
    found: dict[tuple[str, str], list[FaultExample]] = defaultdict(list)
    messages: dict[tuple[str, str], str] = {}
    for s in sorted(sessions, key=lambda s: (s.started_at, s.id), reverse=True):
        for f in s.faults:
            key = (s.exercise, f.rule)
            found[key].append(FaultExample(s, (f.start_s + f.end_s) / 2))
            messages.setdefault(key, f.message or f.rule)
    tallies = [
        FaultTally(
            exercise=exercise,
            rule=rule,
            message=messages[(exercise, rule)],
            count=len(examples),
            sessions=len({e.session.id for e in examples}),
            examples=tuple(examples),
        )
        for (exercise, rule), examples in found.items()
    ]
    tallies.sort(key=lambda t: (-t.count, t.exercise, t.rule))
    return tallies


def pain_stops(sessions: Iterable[StoredSession]) -> list[StoredSession]:
    """The sets stopped because it hurt, oldest first."""
    return sorted((s for s in sessions if s.stopped_for_pain), key=lambda s: s.started_at)


def week_of(day: date) -> Period:
    """Monday to Sunday around ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6))


@dataclass(frozen=True)
class Adherence:
    """Sets done this week against the plan.

    Attributes:
        prescribed: Sets the whole week asks for.
        expected_by_today: Sets asked for from Monday up to and including today.
    """

    exercise: str
    title: str
    done: int
    prescribed: int
    expected_by_today: int


def week_adherence(
    sessions: Sequence[StoredSession],
    plans: Mapping[str, Plan],
    exercises: Iterable[str],
    today: date,
) -> list[Adherence]:
    """Adherence for each of ``exercises`` in the week around ``today``.

    Args:
        sessions: The patient's sessions (any period; those outside the week are left out).
        plans: The prescription of each exercise (a program's, or the exercises' own).
        exercises: The exercises to report, in order; one without a plan is left out.
        today: The day the week is counted up to.
    """
    week = week_of(today)
    elapsed = (today - week.first).days + 1
    in_week = [s for s in sessions if week.first <= local_day(s.started_at) <= today]
    out = []
    for exercise in exercises:
        plan = plans.get(exercise)
        if plan is None:
            continue
        done = sum(sets_done(s, plan) for s in in_week if s.exercise == exercise)
        out.append(
            Adherence(
                exercise, plan.title, done, plan.sets_per_day * 7, plan.sets_per_day * elapsed
            )
        )
    return out
