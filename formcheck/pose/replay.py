"""A pose backend that replays a saved :class:`LandmarkSeries` instead of running a model."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import LandmarkSeries, PoseFrame


class ReplayBackend:
    """Returns the saved landmarks of the frame whose timestamp matches ``t_s`` (within 1 ms)."""

    def __init__(self, series: LandmarkSeries) -> None:
        self._series = series
        self._cursor = 0

    def detect(self, rgb: npt.NDArray[np.uint8] | None, t_s: float) -> PoseFrame | None:
        t = self._series.t_s
        i = int(np.searchsorted(t, t_s - 1e-3, side="left"))
        if i >= len(t) or abs(t[i] - t_s) > 1e-3:
            return None
        self._cursor = i
        return self._series.frame(i)

    def close(self) -> None:
        pass
