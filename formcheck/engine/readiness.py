"""The readiness gate: nothing is counted, timed or judged until the person shows the start.

A frame the perception room could judge is judged once the person has held one of the spec's
start positions (``ready.positions``, or an end position, ``ready.end_positions``, for an exercise
that may begin at its end) for ``ready.min_s``. Without a person for ``LOST_RESET_S`` the start
must be shown again.
"""

from __future__ import annotations

from collections.abc import Mapping

from formcheck.specs.schema import Band


def in_any_position(positions: list[dict[str, Band]], signals: Mapping[str, float]) -> bool:
    """Is the person in any one of these positions (signal -> band) now?"""
    return any(
        all(band.contains(signals[name]) for name, band in position.items())
        for position in positions
    )
