"""Exercise library page under AppTest, and the text helpers behind it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from formcheck.specs.loader import load_all_specs, load_spec
from formcheck.specs.schema import Prescription
from formcheck.ui.library import checks, not_checked_lines, prescription_lines, views_text

PAGE = "from formcheck.ui.library_page import render\nrender()\n"


def test_every_spec_is_listed_with_its_content() -> None:
    at = AppTest.from_string(PAGE, default_timeout=60).run()
    assert not at.exception
    specs = load_all_specs()
    labels = [e.label for e in at.expander]
    assert len(labels) == len(specs)
    markdown = "\n".join(m.value for m in at.markdown)
    tables = [t.value for t in at.table]
    told = {message for table in tables for message in table["What you are told"]}
    for spec in specs.values():
        assert any(label.startswith(spec.title) for label in labels), spec.id
        assert spec.summary in markdown
        assert all(step in markdown for step in spec.how_to)
        assert spec.camera.setup in markdown
        assert spec.start_position in markdown
        assert {r.message for r in spec.rules} <= told
        assert all(line in markdown for line in not_checked_lines(spec)), spec.id


@pytest.mark.parametrize(
    ("spec_id", "expected_start"),
    [
        # scenario: a guided timer: the contraction itself cannot be seen, and the page says so
        ("transverse_abdominis", ["The contraction happens deep inside the tummy"]),
        # scenario: the lying figure-four checks a lift, but a twist of the pelvis is not seen
        ("supine_figure_four_stretch", ["A twist of the pelvis"]),
        # scenario: everything the sheet asks for is checked in some view
        ("box_squat", []),
    ],
)
def test_what_the_camera_cannot_check(spec_id: str, expected_start: list[str]) -> None:
    lines = not_checked_lines(load_spec(spec_id))
    assert len(lines) == len(expected_start)
    assert all(line.startswith(start) for line, start in zip(lines, expected_start, strict=True))


@pytest.mark.parametrize(
    ("prescription", "kind", "expected"),
    [
        # scenario: strengthening exercise, sets and reps
        (
            Prescription(sets=3, reps=10),
            "reps",
            ["3 sets of 10 repetitions.", "Rest 30 s between sets or holds."],
        ),
        # scenario: stretch held on both sides, twice a day, no rest given
        (
            Prescription(hold_s=60, repeats=2, both_sides=True, per_day=2, rest_s=0),
            "hold",
            ["Hold for 60 s.", "Do it 2 times on each side.", "2 times a day."],
        ),
        # scenario: a hold with a range and a single repeat
        (
            Prescription(hold_s=20, hold_max_s=30, repeats=1, rest_s=0),
            "hold",
            ["Hold for 20 s (up to 30 s).", "Do it once."],
        ),
        # scenario: nothing prescribed but the default rest
        (Prescription(), "reps", ["Rest 30 s between sets or holds."]),
    ],
)
def test_prescription_lines(prescription: Prescription, kind: str, expected: list[str]) -> None:
    assert prescription_lines(prescription, kind) == expected


@pytest.mark.parametrize(
    ("views", "expected"),
    [
        (["side"], "side-on"),
        (["side", "diagonal"], "side-on or at an angle (diagonal)"),
        (["side", "front", "diagonal"], "side-on, facing the camera or at an angle (diagonal)"),
        ([], ""),
    ],
)
def test_views_text(views: list[str], expected: str) -> None:
    assert views_text(views) == expected


def test_checks_are_most_severe_first() -> None:
    rows = checks(load_spec("box_squat"))
    assert [c.level for c in rows] == ["Important", "Watch out", "Tip"]
    assert rows[1].views == "facing the camera"
