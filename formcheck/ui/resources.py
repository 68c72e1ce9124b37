"""Things the pages share across reruns and sessions: the specs and where the pose model is.

The live pose model itself is per browser session: ``formcheck/ui/live_model.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from formcheck.pose.model_store import ModelInstallError, resolve_model
from formcheck.specs.loader import SpecError, load_all_specs
from formcheck.specs.schema import ExerciseSpec


@st.cache_resource(ttl=60, show_spinner=False)
def _specs_cached() -> dict[str, ExerciseSpec]:
    return load_all_specs()


def specs_or_stop() -> dict[str, ExerciseSpec]:
    """Every exercise spec by id, or an error on the page and the script stopped.

    The specs are re-read at most once a minute, so a new YAML file in ``exercise_specs/``
    appears without restarting the app.
    """
    try:
        return _specs_cached()
    except SpecError as exc:
        st.error(f"The exercise descriptions could not be loaded: {exc}")
        st.stop()
        raise  # unreachable: st.stop() raises; this keeps type checkers content


def model_path_or_none() -> tuple[Path | None, str | None]:
    """The installed pose model, or ``(None, message)`` saying how to install it."""
    try:
        return resolve_model(), None
    except ModelInstallError as exc:
        return None, f"The pose model is not installed yet ({exc}). Run `make model` once."
