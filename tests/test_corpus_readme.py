"""The README's accuracy table, written from an evaluation (``formcheck evaluate --readme``).

Hand-made scores stand in for the real clips: each case says which "now" cell they must give,
and the rewrite must leave every line outside the markers as it was.
"""

from __future__ import annotations

import pytest

from formcheck.corpus.readme import (
    END,
    ROWS,
    START,
    ReadmeBlockError,
    accuracy_block,
    rewrite_block,
)
from formcheck.corpus.run import CorpusReport
from formcheck.corpus.score import ClipScore
from tests.factories import clip_score


def _spine(file: str, verdict: str, faulty: bool) -> ClipScore:
    return clip_score(
        file,
        "hip_hinge",
        faults={"neutral_spine": verdict},
        fault_expected={"neutral_spine": faulty},
    )


def _cells(scores: list[ClipScore], skipped: int = 0) -> dict[str, tuple[str, str]]:
    """what -> (now, target), from the block's table rows."""
    report = CorpusReport("clips", scores, [(f"x{i}.mp4", "spec: null") for i in range(skipped)])
    rows = accuracy_block(report, "formcheck evaluate clips").splitlines()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in rows if line[:2] == "| "]
    assert cells[0] == ["what", "now", "target"]
    return {what: (now, target) for what, now, target in cells[1:]}


CASES = [
    # scenario: every rep clip exact: no miss breakdown
    (
        [
            clip_score("a", reps_expected=3, reps_found=3),
            clip_score("b", reps_expected=5, reps_found=5),
        ],
        "rep count exact",
        "2 of 2 clips (100%)",
    ),
    # scenario: one over by one, one short by three
    (
        [
            clip_score("a", reps_expected=3, reps_found=3),
            clip_score("b", reps_expected=3, reps_found=4),
            clip_score("c", reps_expected=4, reps_found=1),
        ],
        "rep count exact",
        "1 of 3 clips (33%); 1 off by one, 1 by more (1 too many, 1 too few)",
    ),
    # scenario: holds: one within 1 s, one 2 s too long, one not found (not "too short")
    (
        [
            clip_score("a", "childs_pose", hold_expected_s=10.0, hold_found_s=10.5),
            clip_score("b", "childs_pose", hold_expected_s=10.0, hold_found_s=12.0),
            clip_score("c", "childs_pose", hold_expected_s=6.0, hold_found_s=0.0),
        ],
        "holds timed within 1 s",
        "1 of 3 labelled holds (mean error 2.83 s); 2 of 3 found; off by over 1 s: 1 too long, "
        "0 too short",
    ),
    (
        [clip_score("a", reps_expected=3, reps_found=3)],
        "holds timed within 1 s",
        "no labelled hold",
    ),
    # scenario: rule verdicts: found, missed, false alarm, clean, and not checked on a faulty clip
    (
        [
            _spine("a", "tp", True),
            _spine("b", "fn", True),
            _spine("c", "fp", False),
            _spine("d", "tn", False),
            _spine("e", "not_checked", True),
        ],
        "rounded back (`neutral_spine`)",
        "1 of 3 found; false alarms on 1 of 2 clean clips; not checked on 1 faulty and 0 clean "
        "clips",
    ),
    (
        [_spine("a", "tp", True)],
        "knees caving (`knee_wobble`, front view)",
        "no labelled clip",
    ),
    # scenario: too_fast counts calm clips only (a jump squat's quick reps are its point)
    (
        [
            clip_score("a", reps_expected=3, reps_found=3, too_fast_reps=2),
            clip_score("b", reps_expected=3, reps_found=3),
            clip_score("c", reps_expected=3, reps_found=3, calm=False, too_fast_reps=3),
        ],
        "`too_fast` on calm reps",
        "fires on 1 of 2 calm rep clips",
    ),
    # scenario: frames not judged, over clips with the whole body in view
    (
        [
            clip_score("a", cannot_judge_share=0.0),
            clip_score("b", cannot_judge_share=0.2),
            clip_score("c", cannot_judge_share=1.0),
            clip_score("d", cannot_judge_share=1.0, whole_body_visible=False),
        ],
        "frames that could not be judged",
        "40% on average; over 10% on 2 clips (1 wholly)",
    ),
]


@pytest.mark.parametrize(("scores", "what", "now"), CASES)
def test_now_column_from_the_scores(scores: list[ClipScore], what: str, now: str) -> None:
    assert _cells(scores)[what][0] == now


def test_targets_are_the_generator_data() -> None:
    cells = _cells([clip_score("a", reps_expected=1, reps_found=1)])
    assert [(what, target) for what, (_, target) in cells.items()] == [
        (row.what, row.target) for row in ROWS
    ]


README = f"""# project

Intro, untouched.

{START}
| what | now | target |
|---|---|---|
| rep count exact | typed by hand | 95% |
{END}

## After

Also untouched, with a trailing space \n"""


def test_rewrite_replaces_only_the_block() -> None:
    report = CorpusReport(
        "clips", [clip_score("a", reps_expected=2, reps_found=2)], [("b.mp4", "spec: null")]
    )
    block = accuracy_block(report, "formcheck evaluate clips --readme README.md")
    out = rewrite_block(README, block)
    before, rest = out.split(START)
    inside, after = rest.split(END)
    assert before == README.split(START)[0]
    assert after == README.split(END)[1]
    assert "typed by hand" not in inside
    assert "| rep count exact | 1 of 1 clips (100%) | 95%, none off by one |" in inside
    assert "Labelled clips scored: 1 (1 more in the manifest are not scored)." in inside
    assert "formcheck evaluate clips --readme README.md" in inside
    # a second run gives the same file: nothing accumulates around the block
    assert rewrite_block(out, block) == out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no table here\n", f"no {START} line"),
        (f"{START}\n| table |\n", f"no {END} line"),
        (f"{START}\n{START}\n{END}\n", f"2 times the {START} line"),
        (f"{END}\n| table |\n{START}\n", f"{END} comes before {START}"),
    ],
)
def test_a_readme_without_one_block_is_refused(text: str, message: str) -> None:
    with pytest.raises(ReadmeBlockError, match=message):
        rewrite_block(text, "anything")
