"""The core modules: the ones that must import no edge library (cv2, streamlit, mediapipe, av)
and not the history."""

from __future__ import annotations

CORE_MODULES = [
    "formcheck.types",
    "formcheck.landmarks",
    "formcheck.signals.catalog",
    "formcheck.signals.filters",
    "formcheck.signals.view",
    "formcheck.specs.loader",
    "formcheck.engine.session",
    "formcheck.feedback",
    "formcheck.results",
    "formcheck.result_model",
    "formcheck.analyze",
    "formcheck.source.poses",
    "formcheck.source.recording",
    "formcheck.pose.selection",
    "formcheck.programs",
    "formcheck.engine.rules",
    "formcheck.engine.holds",
    "formcheck.engine.perception",
    "formcheck.engine.readiness",
    "formcheck.engine.rep_tally",
    "formcheck.engine.rep_in_progress",
    "formcheck.engine.hold_clock",
    "formcheck.engine.judging",
    "formcheck.engine.unchecked",
]
