"""Exercise library page: every exercise, what it is for, how to do it and what the app checks."""

from __future__ import annotations

import streamlit as st

from formcheck.specs.schema import ExerciseSpec
from formcheck.ui.library import (
    checks,
    counting_text,
    not_checked_lines,
    prescription_lines,
    views_text,
)
from formcheck.ui.resources import specs_or_stop


def _exercise(spec: ExerciseSpec) -> None:
    st.markdown(spec.summary)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**How to do it**")
        st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(spec.how_to, 1)))
        st.markdown("**Start position**")
        st.markdown(spec.start_position)
    with right:
        st.markdown("**Prescription**")
        lines = prescription_lines(spec.prescription, spec.kind)
        st.markdown("\n".join(f"- {line}" for line in lines) or "As your clinician tells you.")
        if spec.prescription.note:
            st.caption(spec.prescription.note)
        st.markdown("**Camera set-up**")
        st.markdown(
            f"{spec.camera.setup}  \nThe camera should see you {views_text(spec.camera.views)}."
        )
    st.markdown("**What the app checks**")
    st.markdown(counting_text(spec))
    rows = checks(spec)
    if rows:
        st.table(
            [
                {"Level": c.level, "What you are told": c.message, "Checked when you are": c.views}
                for c in rows
            ]
        )
    else:
        st.markdown("No form checks for this exercise yet, only the count.")
    unseen = not_checked_lines(spec)
    if unseen:
        st.markdown("**What the camera cannot check (watch it yourself)**")
        st.markdown("\n".join(f"- {line}" for line in unseen))


def render() -> None:
    """Draw the Exercise library page."""
    st.title("Exercise library")
    st.markdown(
        "Every exercise the app knows, with what it is for, how to do it, what your clinician "
        "usually prescribes, where to put the laptop, and what the app watches for."
    )
    specs = specs_or_stop()
    for index, spec in enumerate(specs.values()):
        kind = "repetitions" if spec.kind == "reps" else "hold"
        with st.expander(f"{spec.title} ({kind})", expanded=index == 0):
            _exercise(spec)
