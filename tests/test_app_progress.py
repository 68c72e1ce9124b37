"""The app's side of the history under AppTest: the patient sidebar (add, choose, export,
delete, a database that is down), the Progress page (no patient, no sessions, one session,
several, a program, the report button), and saving from the Practice and Review pages.

Every test names its own SQLite file through ``FORMCHECK_DB``; the results saved are the engine's
(synthetic squats and stretches from :mod:`tests.support.sessions`, the fake camera's squats).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from formcheck.analyze import replay_series
from formcheck.history.from_result import context_for
from formcheck.history.records import Patient
from formcheck.history.store import HistoryStore
from formcheck.landmarks import LandmarkSeries
from formcheck.results import RunInfo, to_dict
from formcheck.specs.loader import load_spec
from formcheck.ui import history_hooks, practice_page, review_page, webrtc
from formcheck.ui import patient as patient_ui
from formcheck.ui.report_download import REPORT_KEY
from formcheck.ui.review import Review
from tests.factories import side_view_squat_frame
from tests.support.live import BLACK, FPS, FakeBackend, squat_knee_deg
from tests.support.paths import SAMPLE_CLIP
from tests.support.pdf import jpeg_images
from tests.support.sessions import FULL_DEG, SHORT_DEG, as_dict, squat_session, stretch_session

PAGES = {
    "progress": "formcheck.ui.progress_page",
    "practice": "formcheck.ui.practice_page",
    "review": "formcheck.ui.review_page",
}


def app(page: str = "progress") -> AppTest:
    script = (
        "from formcheck.ui import patient\npatient.sidebar()\n"
        f"from {PAGES[page]} import render\nrender()\n"
    )
    return AppTest.from_string(script, default_timeout=60)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's history file (not created yet)."""
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("FORMCHECK_DB", f"sqlite:///{path}")
    return path


def store(db: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{db}")


def save(db: Path, patient: Patient, result: dict[str, Any], started: datetime) -> int:
    spec = load_spec(result["exercise"])
    context = context_for(spec, "practice", started, started + timedelta(seconds=30))
    with store(db) as s:
        return s.save_session(patient.id, result, context)


def choose(at: AppTest, patient: Patient) -> AppTest:
    return at.sidebar.selectbox(key=patient_ui.CHOICE_KEY).set_value(patient.id).run()


def texts(elements: Any) -> str:
    return "\n".join(e.value for e in elements)


def this_morning(hours_ago: float = 0.0) -> datetime:
    """A time today (local) that is already past, ``hours_ago`` earlier still."""
    now = datetime.now().astimezone()
    start = max(now.replace(hour=0, minute=5, second=0, microsecond=0), now - timedelta(hours=1))
    return start - timedelta(hours=hours_ago)


def days_ago(days: int, hour: int) -> datetime:
    day = date.today() - timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour).astimezone()


# -- the sidebar --------------------------------------------------------------------------------


def test_without_a_patient_nothing_is_created_and_the_page_says_what_to_do(db: Path) -> None:
    at = app().run()
    assert not at.exception
    assert patient_ui.NO_PATIENT in texts(at.sidebar.caption)
    assert "Choose or add a patient to keep a history." in texts(at.info)
    assert at.sidebar.selectbox(key=patient_ui.CHOICE_KEY).value is None
    assert not db.exists(), "looking at the app creates no database"


ADD_SCENARIOS = [
    # (name typed, notice kind, notice text, patients afterwards)
    ("Anna K", "success", "Added Anna K.", ["Anna K"]),
    ("   ", "error", "Type a name or a code first.", []),
    ("Ben", "error", "already exists", ["Ben"]),  # Ben was there before
]


@pytest.mark.parametrize(("name", "kind", "notice", "after"), ADD_SCENARIOS)
def test_adding_a_patient(db: Path, name: str, kind: str, notice: str, after: list[str]) -> None:
    if name == "Ben":
        with store(db) as s:
            s.add_patient("Ben")
    at = app().run()
    at.sidebar.text_input(key=patient_ui.NEW_NAME_KEY).input(name)
    next(b for b in at.sidebar.button if b.label == "Add").click().run()
    assert not at.exception
    shown = texts(at.sidebar.success if kind == "success" else at.sidebar.error)
    assert notice in shown
    patients: list[Patient] = []
    if db.exists():
        with store(db) as s:
            patients = s.patients()
    assert [p.name for p in patients] == after
    chosen = at.sidebar.selectbox(key=patient_ui.CHOICE_KEY).value
    if kind == "success":
        assert chosen == patients[0].id, "the new patient is chosen"
        assert "No sessions yet for Anna K" in texts(at.info)
    else:
        assert chosen is None


def test_a_name_is_shown_as_typed_never_as_markdown(db: Path) -> None:
    link = "![x](https:example.org)"
    at = app().run()
    at.sidebar.text_input(key=patient_ui.NEW_NAME_KEY).input(link)
    next(b for b in at.sidebar.button if b.label == "Add").click().run()
    (notice,) = at.sidebar.success
    assert "\\!\\[x\\]\\(https\\:example\\.org\\)" in notice.value
    assert "![x]" not in texts(at.info) and "https\\:example" in texts(at.info)


def test_export_then_delete_my_data(db: Path) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
        ben = s.add_patient("Ben")
    save(db, anna, as_dict(squat_session([FULL_DEG, SHORT_DEG])), days_ago(1, 9))
    save(db, anna, as_dict(stretch_session(9.0)), days_ago(0, 0) + timedelta(minutes=1))
    save(db, ben, as_dict(squat_session([FULL_DEG])), days_ago(1, 10))
    at = choose(app().run(), anna)

    at.sidebar.button(key="patient_export_go").click().run()
    patient_id, json_bytes, zip_bytes = at.session_state[patient_ui.EXPORT_KEY]
    assert patient_id == anna.id
    exported = json.loads(json_bytes)
    assert exported["patient"]["name"] == "Anna K"
    assert [s["exercise"] for s in exported["sessions"]] == [
        "box_squat",
        "hamstring_stretch_standing",
    ]
    sessions_csv = zipfile.ZipFile(io.BytesIO(zip_bytes)).read("sessions.csv").decode()
    assert len(sessions_csv.strip().splitlines()) == 1 + 2
    labels = [b.label for b in at.sidebar.get("download_button")]
    assert labels == ["Download all (JSON)", "Download all (CSV tables, zip)"]

    delete = at.sidebar.button(key="patient_delete")
    assert delete.disabled, "nothing is deleted without the confirmation"
    at.sidebar.checkbox(key=patient_ui.CONFIRM_KEY).check().run()
    at.sidebar.button(key="patient_delete").click().run()
    assert not at.exception
    assert "Deleted Anna K (id 1): 2 saved sessions and 0 recordings." in texts(at.sidebar.success)
    assert at.sidebar.selectbox(key=patient_ui.CHOICE_KEY).value is None
    with store(db) as s:
        assert [p.name for p in s.patients()] == ["Ben"]
        assert [x.patient_name for x in s.sessions()] == ["Ben"]


def test_a_database_that_is_down_is_one_message_and_the_page_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setenv("FORMCHECK_DB", "postgresql://nobody@127.0.0.1:1/formcheck")
    at = app().run()
    assert not at.exception
    (warning,) = at.sidebar.warning
    assert warning.value.startswith("The history is not available, so nothing is saved")
    assert "Choose or add a patient" in texts(at.info)
    at.run()
    assert len(at.sidebar.warning) == 1 and not at.exception
    assert any(b.label == "Try the history again" for b in at.sidebar.button)


# -- the progress page --------------------------------------------------------------------------


def test_one_session_shows_its_numbers_not_a_one_point_line(db: Path) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
    save(db, anna, as_dict(squat_session([FULL_DEG, SHORT_DEG, FULL_DEG])), this_morning())
    at = choose(app().run(), anna)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reps"] == "3 of 10"
    assert metrics["Done well"] == "67%"
    assert metrics["Sets done this week"] == "1 of 21"  # box squat: 3 sets a day
    assert "One session so far" in texts(at.caption)
    charts = at.get("plotly_chart")
    assert len(charts) == 1, "no trend plots for one session; only the faults it had"


def test_several_sessions_plot_each_exercise_and_mark_the_pain_stop(db: Path) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
    for day, peaks, pain in [
        (2, [FULL_DEG, SHORT_DEG], False),
        (1, [SHORT_DEG, FULL_DEG, FULL_DEG], True),
        (0, [FULL_DEG] * 4, False),
    ]:
        save(
            db,
            anna,
            as_dict(squat_session(peaks), pain),
            days_ago(day, 9) if day else this_morning(0),
        )
    for day, held in [(1, 9.0), (0, 12.0)]:
        save(
            db,
            anna,
            as_dict(stretch_session(held)),
            days_ago(day, 10) if day else this_morning(0.5),
        )
    at = choose(app().run(), anna)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Box squat", "Hamstring stretch (standing)"]
    # Squats: reps each day, share done well, faults; stretch: longest hold, range of motion.
    assert len(at.get("plotly_chart")) == 3 + 2
    assert "Stopped because it hurt" in texts(at.error)
    assert "No faults found in this period." in texts(at.caption)


def test_no_sessions_yet(db: Path) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
    at = choose(app().run(), anna)
    assert "No sessions yet for Anna K" in texts(at.info)
    assert not at.get("plotly_chart") and not at.tabs


def test_a_chosen_program_sets_what_the_week_expects(db: Path) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
    save(db, anna, as_dict(stretch_session(20.0)), this_morning())
    at = choose(app().run(), anna)
    (table,) = at.dataframe
    assert list(table.value["Exercise"]) == ["Hamstring stretch (standing)"]
    at.selectbox(key="progress_program").set_value("low_back_starter").run()
    (table,) = at.dataframe
    listed = ["knee_to_chest", "hip_flexor_kneeling_stretch", "hamstring_stretch_supine"]
    listed.append("childs_pose")
    assert list(table.value["Exercise"]) == [load_spec(i).title for i in listed]
    assert int(table.value["Prescribed this week"].iloc[2]) == 2 * 7


def test_the_report_button_makes_a_pdf(db: Path) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
    save(db, anna, as_dict(squat_session([FULL_DEG, SHORT_DEG])), days_ago(1, 9))
    save(db, anna, as_dict(squat_session([SHORT_DEG, FULL_DEG])), this_morning())
    at = choose(app().run(), anna)
    at.button(key="progress_report_make").click().run()
    assert not at.exception
    _, pdf = at.session_state[f"{REPORT_KEY}_progress_report"]
    assert pdf.startswith(b"%PDF")
    assert [b.label for b in at.main.get("download_button")] == ["Download the report (PDF)"]


# -- saving from the practice and review pages --------------------------------------------------


class FakeStream:
    """Stands in for ``webrtc.start_camera_stream``: the camera plays when told to."""

    def __init__(self) -> None:
        self.playing = False

    def __call__(self, key: str, on_frames: Any, *args: Any, **kwargs: Any) -> bool:
        return self.playing


@pytest.fixture
def camera(monkeypatch: pytest.MonkeyPatch) -> FakeStream:
    fake = FakeStream()
    monkeypatch.setattr(webrtc, "start_camera_stream", fake)
    monkeypatch.setattr(practice_page, "model_path_or_none", lambda: (Path("fake.task"), None))
    monkeypatch.setattr(practice_page, "live_backend", lambda _path: FakeBackend())
    return fake


def practise_three_squats(at: AppTest, camera: FakeStream) -> Any:
    camera.playing = True
    at.run()
    proc = at.session_state["live_processor"]
    for i in range(12 * FPS):
        proc.process(BLACK, i / FPS)  # what streamlit-webrtc's worker thread does
    return proc


@pytest.mark.parametrize("pain", [False, True])
def test_a_finished_practice_set_is_saved_once(db: Path, camera: FakeStream, pain: bool) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
    at = choose(app("practice").run(), anna)
    proc = practise_three_squats(at, camera)
    if pain:
        at.button(key="practice_pain").click().run()
    else:
        proc.finish()
        at.run()
    assert not at.exception
    assert "Saved to Anna K's history." in texts(at.caption)
    at.run()  # the page runs again with the summary still shown: nothing is saved twice
    with store(db) as s:
        (saved,) = s.sessions(anna.id)
    assert (saved.source, saved.exercise, saved.reps_done) == ("practice", "box_squat", 3)
    assert saved.stopped_for_pain is pain
    assert saved.sets_prescribed == 3 and saved.reps_prescribed == 10
    ran_s = (saved.ended_at - saved.started_at).total_seconds()
    assert ran_s == pytest.approx(saved.duration_s, abs=0.01)
    assert abs(saved.ended_at - datetime.now(UTC)) < timedelta(minutes=2)


def test_a_practice_set_without_a_patient_is_not_saved(db: Path, camera: FakeStream) -> None:
    at = app("practice").run()
    proc = practise_three_squats(at, camera)
    proc.finish()
    at.run()
    assert "Not saved. Choose or add a patient to keep a history." in texts(at.caption)
    assert not db.exists()


def test_with_the_history_down_a_set_ends_normally_and_says_it_was_not_saved(
    camera: FakeStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMCHECK_DB", "postgresql://nobody@127.0.0.1:1/formcheck")
    at = app("practice").run()
    proc = practise_three_squats(at, camera)
    proc.finish()
    at.run()
    assert not at.exception
    assert "Session finished" in texts(at.success)
    assert "Not saved: the history is not available (see the sidebar)." in texts(at.caption)


def test_a_failed_save_keeps_the_set_and_can_be_tried_again(
    db: Path, camera: FakeStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store(db) as s:
        anna = s.add_patient("Anna K")
    at = choose(app("practice").run(), anna)
    proc = practise_three_squats(at, camera)
    real = HistoryStore.save_session

    def disk_full(self: HistoryStore, *args: Any, **kwargs: Any) -> int:
        from formcheck.history.errors import HistoryError

        raise HistoryError("cannot write to the history database: database or disk is full")

    monkeypatch.setattr(HistoryStore, "save_session", disk_full)
    proc.finish()
    at.run()
    assert not at.exception
    (warning,) = at.warning
    assert "could not be saved to Anna K's history" in warning.value
    assert "Session finished" in texts(at.success), "the summary is still shown"
    monkeypatch.setattr(HistoryStore, "save_session", real)
    at.button(key=f"{history_hooks.PRACTICE_KEY}_retry").click().run()
    assert "Saved to Anna K's history." in texts(at.caption)
    with store(db) as s:
        assert len(s.sessions(anna.id)) == 1


def fake_analysis(
    spec: Any, path: Path, model_path: Path, source: str | None = None, **_: Any
) -> Review:
    """The Review page's analysis without the pose model: two short squats and a full one,
    replayed from landmarks, timed like the sample clip."""
    knees = [SHORT_DEG, SHORT_DEG, FULL_DEG]
    times = [i / FPS for i in range(12 * FPS)]
    frames = [
        side_view_squat_frame(t, min(squat_knee_deg(t), knees[min(int(t // 4), 2)])) for t in times
    ]
    series = LandmarkSeries.from_frames(times, list(frames), (800, 1000), "clip")
    analysis = replay_series(spec, series)
    report = to_dict(analysis.result, RunInfo(source or path.name, times[-1], 0.1, "replay"))
    return Review(spec, source or path.name, analysis, report, times[-1], None, "not drawn here")


def test_an_analysed_sample_clip_is_saved_and_its_report_has_a_still(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / SAMPLE_CLIP.name).symlink_to(SAMPLE_CLIP)
    monkeypatch.setenv("FORMCHECK_SAMPLES_DIR", str(samples))
    monkeypatch.setattr(review_page, "analyse_video", fake_analysis)
    monkeypatch.setattr(review_page, "model_path_or_none", lambda: (Path("fake.task"), None))
    with store(db) as s:
        anna = s.add_patient("Anna K")
    at = choose(app("review").run(), anna)
    box = at.checkbox(key=history_hooks.REVIEW_WANTED_KEY)
    assert box.value is True and box.label == "Save to Anna K's history"
    at.button(key="review_analyse").click().run()
    assert not at.exception
    assert "Saved to Anna K's history." in texts(at.caption)
    at.run()
    with store(db) as s:
        (saved,) = s.sessions(anna.id)
    assert saved.source == "review"
    assert saved.clip == str((samples / SAMPLE_CLIP.name).resolve())
    assert saved.reps_faulty >= 2
    at.button(key="review_report_make").click().run()
    _, pdf = at.session_state[f"{REPORT_KEY}_review_report"]
    out = tmp_path / "report.pdf"
    out.write_bytes(pdf)
    assert jpeg_images(out) == 1, "the recurring fault is pictured from the clip"


def test_a_clip_is_not_saved_when_unticked(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / SAMPLE_CLIP.name).symlink_to(SAMPLE_CLIP)
    monkeypatch.setenv("FORMCHECK_SAMPLES_DIR", str(samples))
    monkeypatch.setattr(review_page, "analyse_video", fake_analysis)
    monkeypatch.setattr(review_page, "model_path_or_none", lambda: (Path("fake.task"), None))
    with store(db) as s:
        anna = s.add_patient("Anna K")
    at = choose(app("review").run(), anna)
    at.checkbox(key=history_hooks.REVIEW_WANTED_KEY).uncheck().run()
    at.button(key="review_analyse").click().run()
    assert not at.exception
    with store(db) as s:
        assert s.sessions(anna.id) == []


# -- the progress plots as figures --------------------------------------------------------------

PLOT_DAYS = {
    "1 session": [0],
    "2 sessions": [0, 1],
    "3 sessions on one day": [0, 0, 0],
    "3 sessions": [0, 1, 3],
    "12 sessions": [0, 1, 2, 4, 6, 8, 9, 11, 14, 17, 20, 25],
}


def plot_sessions(days: list[int], kind: str) -> list[Any]:
    """Stored sessions made by hand (:mod:`tests.support.stored`) on the given days."""
    from tests.support.stored import rep_days, stretch_days

    return stretch_days(days) if kind == "stretch" else rep_days(days)


@pytest.mark.parametrize("kind", ["stretch", "reps"])
@pytest.mark.parametrize("count", list(PLOT_DAYS))
def test_every_progress_plot_spans_the_data_days_ticked_by_day(kind: str, count: str) -> None:
    from formcheck.report.trends import plans_for
    from formcheck.specs.loader import load_all_specs
    from formcheck.ui import progress_plots
    from tests.support.stored import DAY_0, local

    days = PLOT_DAYS[count]
    sessions = plot_sessions(days, kind)
    plan = plans_for(load_all_specs())[sessions[0].exercise]
    if kind == "stretch":
        figures = [progress_plots.hold_figure(sessions, plan)]
        figures.append(progress_plots.depth_figure(sessions, plan))
    else:
        figures = [progress_plots.reps_figure(sessions, plan)]
        figures += [progress_plots.rom_figure(sessions, plan)]
        figures.append(progress_plots.good_share_figure(sessions))
    midnight = local(0, 0).replace(tzinfo=None)
    for fig in figures:
        assert fig is not None
        axis = fig.layout.xaxis
        low, high = ((x - midnight) / timedelta(days=1) for x in axis.range)
        # The data's days with a little padding: never a span of years around one point.
        assert -0.5 < low <= 0 and days[-1] + 1 <= high < days[-1] + 1.5, fig.layout.title.text
        # One kind of tick: a day, at its noon, labelled day and month.
        assert axis.type == "date" and axis.tickformat == "%d %b"
        assert axis.tick0 == datetime.combine(DAY_0, datetime.min.time()).replace(hour=12)
        assert axis.dtick % 86_400_000 == 0
        assert (high - low) / (axis.dtick / 86_400_000) <= 9


DEPTH_PLOTS = [
    # (scenario, left depth, right depth, traces' names)
    ("right short of the left", 100.0, 88.0,
     ["left side", "left side: best", "right side (tighter)", "right side (tighter): best"]),
    ("left short of the right", 88.0, 100.0,
     ["left side (tighter)", "left side (tighter): best", "right side", "right side: best"]),
    ("within 5 deg: even", 100.0, 97.0,
     ["left side", "left side: best", "right side", "right side: best"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("left", "right", "names"), [pytest.param(*row[1:], id=row[0]) for row in DEPTH_PLOTS]
)
def test_the_depth_plot_has_each_side_and_names_the_tighter(
    left: float, right: float, names: list[str]
) -> None:
    from formcheck.report.trends import plans_for
    from formcheck.specs.loader import load_all_specs
    from formcheck.ui import progress_plots
    from tests.support.stored import hold, local, stored

    sessions = [
        stored(local(d), [hold("left", left + d, left + d + 3), hold("right", right + d)])
        for d in (0, 2, 5)
    ]
    plan = plans_for(load_all_specs())["hip_flexor_kneeling_stretch"]
    fig = progress_plots.depth_figure(sessions, plan)
    assert fig is not None
    # The right side's holds were saved without a best: no best trace for it.
    assert [t.name for t in fig.data] == names[:3]
    assert list(fig.data[0].y) == [left, left + 2, left + 5]
    assert list(fig.data[1].y) == [left + 3, left + 5, left + 8]
    assert list(fig.data[2].y) == [right, right + 2, right + 5]
    title = fig.layout.title.text.replace("<br>", " ")
    assert title.startswith("How deep you stretch: angle between the thighs")
    tighter = [n for n in names if n.endswith("(tighter)")]
    if tighter:
        assert title.endswith(f"- {tighter[0].split()[0]} side tighter")
    assert fig.layout.yaxis.title.text == "deg, higher is better"


def test_a_stretch_without_a_measured_depth_has_no_depth_plot() -> None:
    from formcheck.ui import progress_plots
    from tests.support.stored import hold, local, stored

    assert progress_plots.depth_figure([stored(local(0), [hold("left", None)])], None) is None


def test_the_page_names_the_tighter_side_of_a_stretch(db: Path) -> None:
    from tests.support.sessions import two_sided_stretch

    with store(db) as s:
        anna = s.add_patient("Anna K")
    for day, (left, right) in [(2, (100.0, 88.0)), (1, (102.0, 90.0)), (0, (104.0, 91.0))]:
        save(db, anna, two_sided_stretch(left, right), days_ago(day, 9) if day else this_morning())
    at = choose(app().run(), anna)
    assert not at.exception
    assert "Depth: right side tighter: typically 90 against 102 deg (higher is better)." in (
        texts(at.caption)
    )
    assert len(at.get("plotly_chart")) == 2  # longest hold, depth
