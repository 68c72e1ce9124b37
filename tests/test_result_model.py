"""The result model: the committed JSON Schema is the one it generates, and a result read back
through it is the result that was written."""

from __future__ import annotations

import json
import math

import jsonschema
import pytest

from formcheck.engine.holds import Hold
from formcheck.engine.session import RepEvent, SessionResult
from formcheck.result_model import SCHEMA_PATH, AnalysisResult, schema_text
from formcheck.results import NonFiniteNumberError, RunInfo, json_text, result_schema, to_dict
from tests.support.history import sample_result


def test_the_committed_schema_is_the_one_the_model_generates() -> None:
    # Scenario: a field changed in formcheck/result_model.py without rewriting the schema.
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "formcheck/schemas/result.schema.json is out of date: run "
        "'python -m formcheck.result_model' and commit the file"
    )
    assert result_schema() == json.loads(schema_text())


@pytest.mark.parametrize("i", range(4))
def test_a_result_read_back_through_the_model_is_the_same_json(i: int) -> None:
    data = sample_result(i)
    jsonschema.validate(data, result_schema())
    assert AnalysisResult.model_validate(data).model_dump(mode="json") == data


def test_a_result_from_before_person_found_reads_it_from_the_frames() -> None:
    # Scenario: an older result without person_found: frames_with_pose says the same.
    data = sample_result(1)
    del data["person_found"]
    assert AnalysisResult.model_validate(data).person_found is True
    data["frames_with_pose"] = 0
    assert AnalysisResult.model_validate(data).person_found is False


def _one_rep(peak: float, rom: float) -> SessionResult:
    rep = RepEvent(1, 1.0, 3.0, peak, (), "left", rom, math.inf, {"back_bend_deg": math.nan})
    hold = Hold(4.0, 9.0, 5.0, "left", math.nan, -math.inf)
    return SessionResult("hip_hinge", [rep], [hold], [], 100, 100, 100, "side", "left")


def test_an_unmeasured_value_is_null_where_the_schema_allows_it() -> None:
    data = to_dict(_one_rep(90.123, math.nan), RunInfo("c.mp4", 10.0, 1.0, "replay"))
    (rep,) = data["reps"]["events"]
    assert (rep["peak"], rep["rom"], rep["tempo_s"], rep["measures"]) == (
        90.12, None, None, {"back_bend_deg": None},
    )  # fmt: skip
    assert (data["holds"][0]["rom"], data["holds"][0]["rom_best"]) == (None, None)
    jsonschema.validate(data, result_schema())


def test_nan_where_a_number_is_needed_is_refused_when_written() -> None:
    # Scenario: a rep's peak (never null in the schema) is NaN: the writer names it.
    data = to_dict(_one_rep(math.nan, 80.0), RunInfo("c.mp4", 10.0, 1.0, "replay"))
    with pytest.raises(NonFiniteNumberError, match=r"reps\.events\[0\]\.peak"):
        json_text(data)


def test_times_before_zero_are_written_as_the_input_gave_them() -> None:
    # Scenario: a landmark file whose clock starts before 0 s: the result keeps its times (and
    # the schema, which the history checks, refuses them), as before the model.
    rep = RepEvent(1, -3.0, -1.0, 90.0, ())
    result = SessionResult("hip_hinge", [rep], [], [], 100, 100, 100, "side", "left")
    data = to_dict(result, RunInfo("c.npz", 10.0, 1.0, "replay"))
    assert (data["reps"]["events"][0]["start_s"], data["reps"]["events"][0]["end_s"]) == (-3, -1)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, result_schema())
