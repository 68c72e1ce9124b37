"""The pose backend contract: an upright RGB image and its timestamp in, one person's landmarks out.

The engine and everything after it only sees :class:`formcheck.landmarks.PoseFrame`; which model
produced it (MediaPipe, a replayed landmark file, a test factory) stays behind this protocol.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import PoseFrame


class PoseBackend(Protocol):
    """Finds one person's landmarks in a frame: the MediaPipe model, a replay, a test double."""

    def detect(self, rgb: npt.NDArray[np.uint8], t_s: float) -> PoseFrame | None:
        """Landmarks of the person in ``rgb`` at ``t_s`` seconds, or ``None`` when nobody is found.

        Calls must come with strictly increasing ``t_s``.
        """
        ...

    def close(self) -> None:
        """Release the model and what it holds."""
        ...
