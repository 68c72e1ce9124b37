"""The clinician report: ``formcheck report`` on SQLite and PostgreSQL, its pages rendered with
pdftoppm and its figures read back with pdftotext and checked against the database; the period's
edges, still frames, the two-page limit, bad input; and the period arithmetic behind it.

The history is made of real results: the engine run on synthetic landmark replays (side-on box
squats, some short of the stool, and standing hamstring stretches held for known times).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.history.from_result import context_for
from formcheck.history.records import Patient, StoredSession
from formcheck.history.store import HistoryStore
from formcheck.report.pdf import FALLBACK_FONTS
from formcheck.report.stills import frame_at
from formcheck.report.trends import (
    Period,
    fault_tallies,
    local_day,
    plans_for,
    program_plans,
    sets_done,
    week_adherence,
)
from formcheck.source.video import iter_frames
from formcheck.specs.loader import load_all_specs, load_spec
from tests.support.paths import SAMPLE_CLIP
from tests.support.pdf import jpeg_images, poppler
from tests.support.sessions import FULL_DEG, SHORT_DEG, as_dict, squat_session, stretch_session

DAY_0 = date(2026, 11, 2)  # a Monday
SQUAT_DAYS = [  # (day, hour, peaks, stopped for pain)
    (0, 9, [FULL_DEG, SHORT_DEG, FULL_DEG], False),
    (1, 9, [SHORT_DEG, SHORT_DEG, FULL_DEG, FULL_DEG], True),
    (2, 9, [FULL_DEG, FULL_DEG, FULL_DEG, SHORT_DEG, FULL_DEG], False),
    (3, 9, [FULL_DEG, FULL_DEG], False),
]
STRETCH_DAYS = [(0, 10, 8.0), (1, 10, 12.0), (2, 10, 15.0)]  # (day, hour, seconds held)
RECORDED_DAY = 2  # the squat set whose recording was kept


def at_local(day: int, hour: int, minute: int = 0) -> datetime:
    return (
        datetime.combine(DAY_0 + timedelta(days=day), datetime.min.time())
        .replace(hour=hour, minute=minute)
        .astimezone()
    )


def save(
    store: HistoryStore,
    patient: Patient,
    result: dict[str, Any],
    started: datetime,
    recording: Path | None = None,
) -> int:
    spec = load_spec(result["exercise"])
    ended = started + timedelta(seconds=result["duration_s"])
    context = context_for(spec, "practice", started, ended, recording_path=recording)
    return store.save_session(patient.id, result, context)


def anna_history(store: HistoryStore, recording: Path | None) -> Patient:
    """Anna's four days of squats and three of stretches, with sessions just outside the period
    and another patient's set on the same days (neither may reach her report)."""
    anna = store.add_patient("Anna K")
    for day, hour, peaks, pain in SQUAT_DAYS:
        kept = recording if day == RECORDED_DAY else None
        save(store, anna, as_dict(squat_session(peaks), pain), at_local(day, hour), kept)
    for day, hour, held in STRETCH_DAYS:
        save(store, anna, as_dict(stretch_session(held)), at_local(day, hour))
    # The last day is included to its last minute, the day before the first is not.
    save(store, anna, as_dict(squat_session([FULL_DEG])), at_local(3, 23, 30))
    save(store, anna, as_dict(squat_session([SHORT_DEG] * 3)), at_local(-1, 23, 30))
    save(store, anna, as_dict(squat_session([SHORT_DEG] * 3)), at_local(4, 0, 30))
    ben = store.add_patient("Ben")
    save(store, ben, as_dict(squat_session([SHORT_DEG] * 2)), at_local(1, 11))
    return anna


PERIOD_ARGS = ["--from", DAY_0.isoformat(), "--to", (DAY_0 + timedelta(days=3)).isoformat()]


def in_period(store: HistoryStore, patient: Patient) -> list[StoredSession]:
    """The patient's sessions on the period's local days, picked without the report's code."""
    last = DAY_0 + timedelta(days=3)
    return [s for s in store.sessions(patient.id) if DAY_0 <= local_day(s.started_at) <= last]


def render_pages(pdf: Path) -> list[Path]:
    """Every page as a PNG (pdftoppm), in order."""
    prefix = pdf.with_suffix("")
    subprocess.run([poppler("pdftoppm"), "-r", "40", "-png", str(pdf), str(prefix)], check=True)
    return sorted(pdf.parent.glob(f"{prefix.name}-*.png"))


def pdf_text(pdf: Path, layout: bool) -> str:
    args = [poppler("pdftotext"), *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def table_row(text: str, title: str) -> list[str]:
    """The cells of the summary table's row for ``title`` (pdftotext -layout keeps a row on
    one line, its cells two or more spaces apart)."""
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(title))
    return re.split(r"\s{2,}", line.strip())


def expected_rows(sessions: list[StoredSession]) -> dict[str, list[str]]:
    """The summary table's rows as the database says they should read."""
    rows = {}
    for exercise, title in (("box_squat", "Box squat"), ("hamstring_stretch_standing", None)):
        group = [s for s in sessions if s.exercise == exercise]
        frames = sum(s.frames for s in group)
        not_judged = sum(s.cannot_judge_share * s.frames for s in group) / frames
        if exercise == "box_squat":
            assert title is not None
            rows[title] = [
                title,
                str(len(group)),
                str(sum(1 for s in group if s.reps_done)),  # fewer than 10 reps: one set each
                str(sum(s.reps_good for s in group)),
                str(sum(s.reps_faulty for s in group)),
                "-",
                "-",
                f"{not_judged:.0%}",
            ]
        else:
            held = [h for s in group for h in s.holds if h.counted]
            assert {h.side for h in held} == {"left"}
            roms = [h.rom for h in held if h.rom is not None]
            rows["Hamstring stretch (standing)"] = [
                "Hamstring stretch (standing)",
                str(len(group)),
                str(len(group)),  # one hold on one side: one set each
                "-",
                "-",
                f"L {max(h.duration_s for h in held):.1f} s (target 20 s)",
                f"{sum(roms) / len(roms):.2f} leg lengths",
                f"{not_judged:.0%}",
            ]
    return rows


def run_report(db_url: str, out: Path, *extra: str) -> int:
    return main(
        ["report", "--patient", "Anna K", *PERIOD_ARGS, "--pdf", str(out), "--db", db_url, *extra]
    )


def test_the_report_shows_what_the_database_holds(db_url: str, tmp_path: Path) -> None:
    recording = tmp_path / "set_day2.mp4"
    shutil.copy(SAMPLE_CLIP, recording)
    with HistoryStore(db_url) as store:
        anna = anna_history(store, recording)
        sessions = in_period(store, anna)
    out = tmp_path / "anna.pdf"
    assert run_report(db_url, out) == 0

    pages = render_pages(out)
    assert 1 <= len(pages) <= 2, f"{len(pages)} pages"
    assert all(p.stat().st_size > 1000 for p in pages)
    layout = pdf_text(out, layout=True)
    flat = " ".join(pdf_text(out, layout=False).split())
    assert "Exercise report: Anna K" in flat
    squats = [s for s in sessions if s.exercise == "box_squat"]
    assert len(squats) == len(SQUAT_DAYS) + 1, "the last day's 23:30 set is in, the rest out"
    assert f"{len(sessions)} sessions of 2 exercises" in flat
    for title, cells in expected_rows(sessions).items():
        assert table_row(layout, title) == cells

    # The pain stop, with its local time and the reps done before it.
    (stop,) = [s for s in sessions if s.stopped_for_pain]
    when = stop.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    assert f"{when} Box squat: after {stop.reps_done} reps" in flat

    # The recurring fault: counted as the database has it, pictured from the kept recording.
    depth = [(s.id, f) for s in sessions for f in s.faults if f.rule == "depth"]
    message = depth[0][1].message
    sessions_with = len({i for i, _ in depth})
    times = f"{len(depth)} times in {sessions_with} session{'s' if sessions_with > 1 else ''}"
    assert f"Box squat: {message} ({times})" in flat
    recorded = next(s for s in squats if s.recording_path)
    assert f"still from session {recorded.id}," in flat
    assert jpeg_images(out) == 1
    # Both exercises have several sessions, so each gets its strip of trend plots.
    assert "Box squat (5 sessions)" in flat and "Hamstring stretch (standing) (3 sessions)" in flat


def test_without_a_recording_the_report_says_so(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        anna_history(store, recording=None)
    out = tmp_path / "anna.pdf"
    assert run_report(db_url, out) == 0
    assert "no recording kept" in " ".join(pdf_text(out, layout=False).split())
    assert jpeg_images(out) == 0


def test_a_period_without_sessions_is_one_page(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna K")
        save(store, anna, as_dict(squat_session([FULL_DEG])), at_local(0, 9))
    out = tmp_path / "empty.pdf"
    code = main([
        "report", "--patient", "Anna K", "--from", "2025-01-01", "--to", "2025-01-31",
        "--pdf", str(out), "--db", db_url,
    ])  # fmt: skip
    assert code == 0
    assert len(render_pages(out)) == 1
    flat = " ".join(pdf_text(out, layout=False).split())
    assert "0 sessions of 0 exercises" in flat
    assert "No sessions were saved in this period." in flat


def test_a_busy_period_still_fits_two_pages(tmp_path: Path) -> None:
    """Eight exercises with faults in every set: fewer trend strips, never a third page."""
    specs = load_all_specs()
    reps_ids = [i for i, s in specs.items() if s.kind == "reps"][:4]
    hold_ids = [i for i, s in specs.items() if s.kind == "hold"][:4]
    squat = squat_session([SHORT_DEG, SHORT_DEG, FULL_DEG])
    stretch = stretch_session(10.0)
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna K")
        for day in range(4):
            for k, exercise in enumerate(reps_ids + hold_ids):
                base = squat if exercise in reps_ids else stretch
                result = as_dict(dataclasses.replace(base, exercise=exercise), pain=k == day)
                save(store, anna, result, at_local(day, 8 + k))
    out = tmp_path / "busy.pdf"
    assert run_report(db_url, out) == 0
    assert 1 <= len(render_pages(out)) <= 2
    layout = pdf_text(out, layout=True)
    for exercise in reps_ids + hold_ids:
        assert table_row(layout, specs[exercise].title)[1] == "4"


@pytest.fixture
def history_file(tmp_path: Path) -> str:
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        store.add_patient("Anna K")
    return db_url


BAD_INPUT = [
    # (arguments after the patient, what the one line says)
    (["--from", "2026-13-01", "--pdf", "{tmp}/r.pdf"], "--from '2026-13-01' is not a date"),
    (["--to", "yesterday", "--pdf", "{tmp}/r.pdf"], "--to 'yesterday' is not a date"),
    (["--from", "2026-11-09", "--to", "2026-11-02", "--pdf", "{tmp}/r.pdf"], "is after --to"),
    (["--pdf", "{tmp}/exists.pdf"], "already exists; pass --force"),
    (["--pdf", "{tmp}/history.sqlite3", "--force"], "is an input of this command"),
    (["--pdf", "{tmp}/no/such/folder/r.pdf"], "does not exist"),
    # the database's write-ahead log and journal are the database too, existing or not
    (["--pdf", "{tmp}/history.sqlite3-wal", "--force"], "is an input of this command"),
    (["--pdf", "{tmp}/history.sqlite3-journal", "--force"], "is an input of this command"),
    # the ends of the calendar: one line, not an overflow or a database's SQL
    (["--to", "9999-12-31", "--pdf", "{tmp}/r.pdf"], "--to 9999-12-31 is out of range"),
    (["--from", "0001-01-01", "--pdf", "{tmp}/r.pdf"], "--from 0001-01-01 is out of range"),
]


@pytest.mark.parametrize(("args", "says"), BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(
    history_file: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    (tmp_path / "exists.pdf").write_bytes(b"keep me")
    before = (tmp_path / "history.sqlite3").read_bytes()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code = main(["report", "--patient", "Anna K", *argv, "--db", history_file])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("formcheck: error: ") and says in err[0], err
    assert (tmp_path / "exists.pdf").read_bytes() == b"keep me"
    assert (tmp_path / "history.sqlite3").read_bytes() == before
    assert not list(tmp_path.glob(".*")), "no temporary file left behind"


def test_unknown_patient_is_one_line(history_file: str, tmp_path: Path, capsys: Any) -> None:
    code = main(
        ["report", "--patient", "Nobody", "--pdf", str(tmp_path / "r.pdf"), "--db", history_file]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "unknown patient 'Nobody'" in err[0]
    assert not (tmp_path / "r.pdf").exists()


# -- still frames -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "t_s",
    [
        0.0,  # the first frame
        3.3,  # between key frames: decoding goes on from the key frame before
        14.9,  # near the end
    ],
)
def test_a_still_is_the_frame_the_analysis_saw_at_that_time(t_s: float) -> None:
    still = frame_at(SAMPLE_CLIP, t_s)
    assert still is not None
    expected = next(rgb for t, rgb in iter_frames(SAMPLE_CLIP) if t >= t_s - 1e-6)
    h, w = still.shape[:2]
    # The same picture at thumbnail size: compare against the full frame sampled down.
    rows = np.linspace(0, expected.shape[0] - 1, h).astype(int)
    cols = np.linspace(0, expected.shape[1] - 1, w).astype(int)
    sampled = expected[rows][:, cols].astype(float)
    assert np.abs(sampled - still.astype(float)).mean() < 12
    other = next(rgb for t, rgb in iter_frames(SAMPLE_CLIP) if t >= (t_s + 5) % 15)
    differs = np.abs(other[rows][:, cols].astype(float) - still.astype(float)).mean()
    assert differs > np.abs(sampled - still.astype(float)).mean()


def test_no_still_past_the_end_or_from_a_file_that_is_not_a_video(tmp_path: Path) -> None:
    assert frame_at(SAMPLE_CLIP, 60.0) is None
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    assert frame_at(junk, 1.0) is None


# -- the arithmetic behind the page and the report ----------------------------------------------


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StoredSession]:
    """One stored squat set (3 reps) and one stretch (one hold, left)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'h.sqlite3'}"
    with HistoryStore(url) as store:
        anna = store.add_patient("Anna")
        squat_id = save(store, anna, as_dict(squat_session([FULL_DEG] * 3)), at_local(0, 9))
        stretch_id = save(store, anna, as_dict(stretch_session(9.0)), at_local(0, 10))
        return {"squat": store.session(squat_id), "stretch": store.session(stretch_id)}


SETS_DONE = [
    # (session, changes, sets it counts for) with each exercise's own prescription
    ("squat", {}, 1),  # 3 of 10 reps: one set begun
    ("squat", {"reps_good": 20, "reps_faulty": 5}, 2),  # 25 reps fill two sets of 10
    ("squat", {"reps_good": 0, "reps_faulty": 0}, 0),  # nothing counted
    ("squat", {"reps_good": 30, "reps_faulty": 0, "reps_prescribed": None}, 3),  # 10 from the spec
    ("stretch", {}, 1),  # one hold, both sides prescribed: still counts once
]


@pytest.mark.parametrize(("which", "changes", "sets"), SETS_DONE)
def test_sets_done(
    stored: dict[str, StoredSession], which: str, changes: dict[str, Any], sets: int
) -> None:
    session = dataclasses.replace(stored[which], **changes)
    assert sets_done(session, plans_for(load_all_specs()).get(session.exercise)) == sets


def test_a_stretch_done_on_both_sides_counts_one_round_per_pair(
    stored: dict[str, StoredSession],
) -> None:
    (hold,) = stored["stretch"].holds
    both = [hold, hold.model_copy(update={"side": "right"})] * 2
    session = dataclasses.replace(stored["stretch"], holds=tuple(both))
    assert sets_done(session, plans_for(load_all_specs())["hamstring_stretch_standing"]) == 2


def test_week_adherence_against_the_program_or_the_exercises_own(
    stored: dict[str, StoredSession],
) -> None:
    from formcheck.programs import load_program_file, programs_dir

    specs = load_all_specs()
    squat = stored["squat"]
    wednesday = DAY_0 + timedelta(days=2)
    week = [
        dataclasses.replace(squat, id=i, started_at=at_local(day, 9))
        for i, day in enumerate([0, 2, 2, 5, -1])
    ]  # Monday, Wednesday twice; Saturday is after "today", last Sunday before the week
    (own,) = week_adherence(week, plans_for(specs), ["box_squat"], wednesday)
    assert (own.done, own.expected_by_today, own.prescribed) == (3, 3 * 3, 3 * 7)

    program = load_program_file(programs_dir() / "low_back_starter.yaml")
    plans = plans_for(specs) | program_plans(program, specs)
    listed = [item.exercise for item in program.exercises]
    rows = week_adherence(week, plans, listed, wednesday)
    assert [r.exercise for r in rows] == listed
    by_id = {r.exercise: r for r in rows}
    assert by_id["hamstring_stretch_supine"].prescribed == 2 * 7  # the program's 2 sets a day
    assert by_id["knee_to_chest"].done == 0


def test_fault_tallies_count_every_time_newest_session_first(tmp_path: Path) -> None:
    with HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}") as store:
        anna = store.add_patient("Anna")
        first = save(
            store, anna, as_dict(squat_session([SHORT_DEG, FULL_DEG, SHORT_DEG])), at_local(0, 9)
        )
        second = save(store, anna, as_dict(squat_session([SHORT_DEG])), at_local(1, 9))
        save(store, anna, as_dict(squat_session([FULL_DEG])), at_local(2, 9))
        sessions = store.sessions(anna.id)
    (tally,) = fault_tallies(sessions)
    assert (tally.rule, tally.count, tally.sessions, tally.recurring) == ("depth", 3, 2, True)
    assert [e.session.id for e in tally.examples] == [second, first, first]
    for example in tally.examples:
        faulty = [r for r in example.session.reps if "depth" in r.faults]
        assert any(r.start_s <= example.t_s <= r.end_s for r in faulty), "a still of a faulty rep"


PERIODS = [
    # (first, last, days, since, until): --to is included to its last minute
    (DAY_0, DAY_0, 1, datetime(2026, 11, 2), datetime(2026, 11, 3)),
    (DAY_0, date(2026, 11, 29), 28, datetime(2026, 11, 2), datetime(2026, 11, 30)),
    (date(2026, 12, 31), date(2027, 1, 1), 2, datetime(2026, 12, 31), datetime(2027, 1, 2)),
]


@pytest.mark.parametrize(("first", "last", "days", "since", "until"), PERIODS)
def test_period_bounds(
    first: date, last: date, days: int, since: datetime, until: datetime
) -> None:
    period = Period(first, last)
    assert (period.days, period.bounds()) == (days, (since, until))
    assert period.label == f"{first.isoformat()} to {last.isoformat()}"


# (scenario, patient name, a font the PDF must embed for it, or None)
NAMES = [
    # Japanese
    ("japanese", "山田 太郎", "NotoSansCJK"),
    # Korean
    ("korean", "김민준", "NotoSansCJK"),
    # Chinese with a Latin name beside it
    ("chinese", "王小明 (Wang)", "NotoSansCJK"),
    # an emoji beside a name
    ("emoji", "Ana 🙂", "Symbola"),
    # 200 characters with no space at all: must wrap, not run off the page
    ("long_unbroken", "W" * 200, None),
    # 200 characters of words
    ("long_words", " ".join(["Maximiliane-Konstanze"] * 8) + " von Hohenzollern", None),
]


def _words_with_boxes(pdf: Path) -> list[tuple[str, float]]:
    """(word, right edge in points) for every word pdftotext finds on the pages."""
    html = subprocess.run(
        [poppler("pdftotext"), "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [
        (word, float(x_max))
        for x_max, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" '
                                      r'yMax="[\d.]+">([^<]*)</word>', html)
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "patient", "font"), NAMES, ids=[n[0] for n in NAMES])
def test_every_patient_name_is_printed_whole_on_the_page(
    tmp_path: Path, name: str, patient: str, font: str | None
) -> None:
    if font is not None and not any(Path(f).is_file() for f in FALLBACK_FONTS[font][0]):
        pytest.skip(
            f"the {font} font is not installed (apt-get install fonts-noto-cjk fonts-symbola)"
        )
    db_url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with HistoryStore(db_url) as store:
        someone = store.add_patient(patient)
        save(store, someone, as_dict(squat_session([FULL_DEG])), at_local(0, 9))
    out = tmp_path / "report.pdf"
    code = main(
        ["report", "--patient-id", str(someone.id), *PERIOD_ARGS, "--pdf", str(out),
         "--db", db_url]
    )  # fmt: skip
    assert code == 0
    words = _words_with_boxes(out)
    printed = "".join(w for w, _ in words)
    assert "".join(patient.split()) in printed  # every character drawn, none dropped
    page_width_pt = 595.3
    assert max(x for _, x in words) <= page_width_pt - 20  # nothing past the right margin
    fonts = subprocess.run(
        [poppler("pdffonts"), str(out)], check=True, capture_output=True, text=True
    ).stdout
    if font is not None:
        assert font in fonts, fonts
    else:
        assert "NotoSansCJK" not in fonts  # a Latin name loads no CJK font


def test_the_widest_period_works_on_every_database(db_url: str, tmp_path: Path) -> None:
    with HistoryStore(db_url) as store:
        anna = store.add_patient("Anna K")
        save(store, anna, as_dict(squat_session([FULL_DEG])), at_local(0, 9))
    out = tmp_path / "all.pdf"
    code = main(
        ["report", "--patient", "Anna K", "--from", "1900-01-01", "--to", "2999-12-31",
         "--pdf", str(out), "--db", db_url]
    )  # fmt: skip
    assert code == 0
    assert "1 session of 1 exercise" in " ".join(pdf_text(out, layout=False).split())
