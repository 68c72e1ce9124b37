"""The labelled-corpus evaluation (``formcheck evaluate DIR`` with a manifest), without the model.

The landmarks cache is what lets these run without MediaPipe: a cached entry is keyed by the
video's and the model's bytes, so a prefilled cache and a stand-in model file are all it needs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.corpus.landmarks_cache import cached_path
from formcheck.corpus.manifest import ManifestError, load_manifest
from formcheck.corpus.score import _verdict, summarize
from formcheck.landmarks import LandmarkSeries
from formcheck.pose.model_store import sha256_file
from tests.factories import clip_score as _score
from tests.factories import side_view_squat_frame


@pytest.mark.parametrize(
    ("expected", "flagged", "unchecked", "verdict"),
    [
        (True, True, 0.0, "tp"),
        (False, True, 0.0, "fp"),
        (True, False, 0.0, "fn"),
        (False, False, 0.0, "tn"),
        # scenario: the view could not judge the rule most of the time: never a silent pass
        (True, False, 0.9, "not_checked"),
        (False, False, 0.9, "not_checked"),
        # scenario: unjudged for a while but still reported: the report stands
        (True, True, 0.9, "tp"),
        # scenario: unjudged for under half the time it applied: judged
        (True, False, 0.4, "fn"),
    ],
)
def test_verdict(expected: bool, flagged: bool, unchecked: float, verdict: str) -> None:
    assert _verdict(expected, flagged, unchecked) == verdict


def test_summary_totals_by_hand() -> None:
    scores = [
        _score("a", reps_expected=3, reps_found=3),
        _score("b", reps_expected=3, reps_found=2, too_fast_reps=1),
        _score("c", reps_expected=1, reps_found=4, calm=False, too_fast_reps=4),
        _score("d", "childs_pose", hold_expected_s=10.0, hold_found_s=10.5),
        _score("e", "childs_pose", hold_expected_s=10.0, hold_found_s=0.0, cannot_judge_share=0.5),
        _score(
            "f",
            "hip_hinge",
            faults={"neutral_spine": "tp"},
            fault_expected={"neutral_spine": True},
        ),
        _score(
            "g",
            "hip_hinge",
            faults={"neutral_spine": "not_checked"},
            fault_expected={"neutral_spine": True},
        ),
        _score(
            "h",
            "hip_hinge",
            faults={"neutral_spine": "fp"},
            fault_expected={"neutral_spine": False},
        ),
    ]
    total = summarize(scores)["total"]
    assert (total["rep_clips"], total["reps_exact"]) == (3, 1)
    assert (total["reps_off_by_one"], total["reps_off_by_more"]) == (1, 1)
    assert total["reps_mae"] == pytest.approx((0 + 1 + 3) / 3, abs=1e-3)
    assert (total["hold_clips"], total["holds_found"], total["holds_within_1s"]) == (2, 1, 1)
    assert total["hold_mae_s"] == pytest.approx(5.25)
    # the explosive clip "c" is not calm: its quick reps are no false alarm
    assert (total["calm_rep_clips"], total["calm_clips_with_too_fast"]) == (2, 1)
    assert total["clips_cannot_judge_over_10pct"] == 1
    spine = total["rules"]["neutral_spine"]
    # not checked on a faulty clip counts against recall: 1 found of 2
    assert (spine["tp"], spine["fp"], spine["not_checked_faulty"]) == (1, 1, 1)
    assert (spine["precision"], spine["recall"], spine["f1"]) == (0.5, 0.5, 0.5)
    assert set(summarize(scores)["per_spec"]) == {"box_squat", "childs_pose", "hip_hinge"}


def _fault(rule: str, start_s: float, end_s: float) -> dict[str, object]:
    return {"rule": rule, "start_s": start_s, "end_s": end_s}


@pytest.mark.parametrize(
    ("expect", "reported", "unlabelled"),
    [
        # scenario: nothing reported
        ({}, [], {}),
        # scenario: a labelled rule's report is scored, not listed again
        ({"neutral_spine": False}, [_fault("neutral_spine", 1.0, 2.0)], {}),
        # scenario: a rule the label is silent on: listed with each time it was reported
        (
            {"neutral_spine": False},
            [_fault("full_hip_extension", 4.8, 5.8), _fault("full_hip_extension", 7.5, 8.6)],
            {"full_hip_extension": [(4.8, 5.8), (7.5, 8.6)]},
        ),
        # scenario: too_fast is scored on calm clips on its own, not listed here
        ({}, [_fault("too_fast", 1.0, 1.5)], {}),
    ],
)
def test_unlabelled_reports(
    expect: dict[str, bool], reported: list[dict[str, object]], unlabelled: dict[str, object]
) -> None:
    score = _score("a", fault_expected=expect, reported_faults=reported)
    assert score.unlabelled_reports == unlabelled


def test_unlabelled_reports_are_listed_in_the_report_not_scored() -> None:
    from formcheck.corpus.report import format_table, markdown
    from formcheck.corpus.run import CorpusReport

    bridge = _score(
        "bridge.mp4",
        "glute_bridge",
        reps_expected=3,
        reps_found=3,
        reported_faults=[_fault("full_hip_extension", 4.82, 5.79)],
    )
    report = CorpusReport("clips", [bridge, _score("quiet.mp4")])
    section = markdown(report, "formcheck evaluate clips").split(
        "## Reported where the labels are silent"
    )[1]
    assert "`bridge.mp4 (side): full_hip_extension at 4.8-5.8 s`" in section
    assert "quiet.mp4" not in section
    assert "also reported full_hip_extension x1" in format_table(report)
    # not a miss: the rep count is right and no labelled rule failed
    assert summarize(report.scores)["total"]["reps_exact"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no manifest.json"),
        ("{not json", "cannot be read"),
        ('{"file": "a.mp4"}', "expected a list"),
        ('[{"spec": "box_squat"}]', "entry 0 file"),
        ('[{"file": "a.mp4", "rep_count": -1}]', "entry 0 rep_count"),
    ],
)
def test_manifest_errors_name_the_problem(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(ManifestError, match=message):
        load_manifest(tmp_path)


def _two_squats(until_s: float = 10.0) -> LandmarkSeries:
    """Side-on: standing 2 s, two calm 3 s squats to 100 deg of knee flexion, standing 2 s (the
    first ``until_s`` seconds of it)."""
    fps = 30.0
    times = np.arange(0.0, until_s, 1.0 / fps)

    def knee(t: float) -> float:
        for start in (2.0, 5.5):
            if start <= t < start + 3.0:
                return 100.0 * math.sin(math.pi * (t - start) / 3.0)
        return 5.0

    frames = [side_view_squat_frame(float(t), knee(float(t))) for t in times]
    return LandmarkSeries.from_frames([float(t) for t in times], list(frames), (800, 1000), "x")


def _corpus(tmp_path: Path, entries: list[dict[str, object]]) -> tuple[Path, Path, Path]:
    clips, cache = tmp_path / "clips", tmp_path / "cache"
    clips.mkdir()
    cache.mkdir()
    model = tmp_path / "stand-in.task"
    model.write_bytes(b"never loaded: every clip is in the cache")
    for entry in entries:
        video = clips / str(entry["file"])
        video.write_bytes(f"video {entry['file']}".encode())
        _two_squats().save(cached_path(cache, video, sha256_file(model)))
    (clips / "manifest.json").write_text(json.dumps(entries))
    return clips, cache, model


def test_evaluate_scores_a_labelled_folder_from_the_cache(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    entries = [
        {"file": "right.mp4", "spec": "box_squat", "rep_count": 2, "view": "side"},
        {"file": "wrong.mp4", "spec": "box_squat", "rep_count": 3, "view": "side"},
        {"file": "none.mp4", "spec": None, "rep_count": 1},
    ]
    clips, cache, model = _corpus(tmp_path, entries)
    out, md = tmp_path / "report.json", tmp_path / "ACCURACY.md"
    args = ["evaluate", str(clips), "--landmarks-cache", str(cache), "--model", str(model)]
    code = main([*args, "--json", str(out), "--markdown", str(md), "--jobs", "1"])
    assert code == 0
    report = json.loads(out.read_text())
    by_file = {c["file"]: c for c in report["clips"]}
    assert by_file["right.mp4"]["reps_found"] == 2
    assert by_file["wrong.mp4"]["rep_error"] == -1
    assert report["summary"]["total"]["reps_exact"] == 1
    assert report["skipped"] == [
        {"file": "none.mp4", "reason": "no formcheck exercise fits this clip (spec: null)"}
    ]
    text = md.read_text()
    assert "formcheck evaluate" in text and "--landmarks-cache" in text
    assert "wrong.mp4" in text.split("## Clips that miss")[1]
    assert "right.mp4" not in text.split("## Clips that miss")[1]
    assert "reps 2/3  <-" in capsys.readouterr().out


def test_evaluate_readme_rewrites_its_accuracy_block(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    entries = [{"file": "right.mp4", "spec": "box_squat", "rep_count": 2, "view": "side"}]
    clips, cache, model = _corpus(tmp_path, entries)
    args = ["evaluate", str(clips), "--landmarks-cache", str(cache), "--model", str(model)]
    readme = tmp_path / "README.md"
    head, tail = "# formcheck\n\ntext\n", "\nmore text\n"
    readme.write_text(f"{head}<!-- accuracy:start -->\nold\n<!-- accuracy:end -->{tail}")
    # scenario: an existing README is rewritten in place without --force
    assert main([*args, "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith(f"{head}<!-- accuracy:start -->\n") and text.endswith(
        f"<!-- accuracy:end -->{tail}"
    )
    assert "\nold\n" not in text and "| rep count exact | 1 of 1 clips (100%) |" in text
    capsys.readouterr()
    # scenario: the same file as another output is refused, as for any two outputs
    assert main([*args, "--markdown", str(readme), "--readme", str(readme), "--force"]) == 2
    assert "name the same file" in capsys.readouterr().err
    # scenario: no markers: one line naming the file and the marker, the file left as it was
    readme.write_text("# formcheck\n")
    assert main([*args, "--readme", str(readme)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--readme {readme}: no <!-- accuracy:start --> line" in err[0]
    assert readme.read_text() == "# formcheck\n"
    # scenario: figures from every 2nd frame are not the README's
    assert main([*args, "--frame-step", "2", "--readme", str(readme)]) == 2
    assert "without --frame-step and --as-live" in capsys.readouterr().err


def test_evaluate_every_second_frame_scores_from_half_the_frames(tmp_path: Path) -> None:
    entries = [{"file": "right.mp4", "spec": "box_squat", "rep_count": 2, "view": "side"}]
    clips, cache, model = _corpus(tmp_path, entries)
    args = ["evaluate", str(clips), "--landmarks-cache", str(cache), "--model", str(model)]

    def rep_frames(*extra: str) -> list[int]:
        """The 30 fps frame numbers of the reps' start and end times."""
        out = tmp_path / f"report{len(extra)}.json"
        md = tmp_path / f"ACCURACY{len(extra)}.md"
        assert main([*args, *extra, "--json", str(out), "--markdown", str(md)]) == 0
        (clip,) = json.loads(out.read_text())["clips"]
        assert clip["reps_found"] == 2
        assert " ".join(extra) in md.read_text()  # the command that produced the figures
        return [round(t * 30) for rep in clip["rep_times_s"] for t in rep]

    assert any(frame % 2 for frame in rep_frames())  # every frame seen: odd ones too
    assert not any(frame % 2 for frame in rep_frames("--frame-step", "2"))


def test_evaluate_as_live_reads_its_own_cache_entries(tmp_path: Path) -> None:
    # The file's own frames and the live-like ones are cached apart: scoring --as-live from a
    # cache holding only the former would need the model (here a stand-in that cannot load).
    entries = [{"file": "right.mp4", "spec": "box_squat", "rep_count": 2, "view": "side"}]
    clips, cache, model = _corpus(tmp_path, entries)
    video = clips / "right.mp4"
    live_entry = cached_path(cache, video, sha256_file(model), as_live=True)
    assert live_entry != cached_path(cache, video, sha256_file(model))
    assert ".live." in live_entry.name
    args = ["evaluate", str(clips), "--landmarks-cache", str(cache), "--model", str(model)]
    out = tmp_path / "live.json"
    assert main([*args, "--as-live", "--json", str(out)]) == 2  # the stand-in model is refused
    _two_squats(until_s=6.0).save(live_entry)  # a live-like entry of its own: one squat
    assert main([*args, "--as-live", "--json", str(out)]) == 0
    (clip,) = json.loads(out.read_text())["clips"]
    assert clip["reps_found"] == 1


def test_every_nth_frame_of_a_series() -> None:
    series = _two_squats()
    series.extras["back_bow"] = np.arange(len(series), dtype=float)
    half = series.every(2)
    assert len(half) == (len(series) + 1) // 2
    assert half.t_s[1] == pytest.approx(2 / 30)
    assert half.xy_px.shape[1:] == series.xy_px.shape[1:]
    assert list(half.extras["back_bow"][:3]) == [0.0, 2.0, 4.0]
    assert series.every(1).t_s.tolist() == series.t_s.tolist()
    with pytest.raises(ValueError, match="1 or more"):
        series.every(0)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("not a list", "expected a list of clip entries"),
        ([{"file": "a.mp4", "hold_seconds": "long"}], "entry 0 hold_seconds"),
    ],
)
def test_evaluate_bad_manifest_is_one_line_exit_2(
    tmp_path: Path,
    capsys,
    entries: object,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(entries))
    assert main(["evaluate", str(tmp_path), "--model", str(tmp_path / "manifest.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error:") and message in err[0]
