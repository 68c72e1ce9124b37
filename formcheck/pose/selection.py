"""Choosing the person to follow when more than one is in view.

formcheck checks one patient. A partner, a child or a therapist may share the frame; the patient is
the one doing the exercise, so the person who moves most (over the last couple of seconds) is
followed. Switching needs a clear and lasting difference, so two people moving alike do not make
the choice flicker. Pure numpy: no model here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import INDEX, SIDES, hip_centre, side_name, torso_length

# Large joints whose movement says "exercising": shoulders, hips, knees, ankles.
_BODY = [INDEX[side_name(s, p)] for s in SIDES for p in ("shoulder", "hip", "knee", "ankle")]
# A candidate is the same person as a track when their hips are within this many torso lengths.
_SAME_PERSON_TORSO = 0.6


@dataclass
class _Track:
    samples: deque[tuple[float, npt.NDArray[np.float64], float]] = field(default_factory=deque)

    def last_hip(self) -> npt.NDArray[np.float64]:
        return hip_centre(self.samples[-1][1])

    def motion(self) -> float:
        """Spread of the big joints over the window, in torso lengths."""
        if len(self.samples) < 3:
            return 0.0
        pts = np.stack([s[1][_BODY] for s in self.samples])  # (n, 8, 2)
        unit = float(np.median([s[2] for s in self.samples])) or 1.0
        return float(np.mean(np.std(pts, axis=0))) / unit


class ActivePersonSelector:
    """Follows people across frames by hip position and picks the most active one.

    Args:
        window_s: How much recent movement is compared.
        switch_ratio: The other person must move this many times more than the one followed ...
        switch_hold_s: ... for this long before the choice changes.
    """

    def __init__(
        self, window_s: float = 2.0, switch_ratio: float = 2.0, switch_hold_s: float = 0.5
    ) -> None:
        self._window_s = window_s
        self._switch_ratio = switch_ratio
        self._switch_hold_s = switch_hold_s
        self._tracks: list[_Track] = []
        self._chosen: int | None = None
        self._challenger_since: float | None = None

    def select(self, t_s: float, people: list[npt.NDArray[np.float64]]) -> int | None:
        """Index into ``people`` (each a (33, 2) pixel array) of the person to follow."""
        if not people:
            return None
        assigned = self._assign(t_s, people)
        for track in self._tracks:
            while track.samples and t_s - track.samples[0][0] > self._window_s:
                track.samples.popleft()
        visible = {ti: pi for pi, ti in enumerate(assigned)}
        if self._chosen is None or self._chosen not in visible:
            # Nobody followed yet (or they left): start with the most active person in view.
            self._chosen = max(visible, key=lambda ti: self._tracks[ti].motion())
            self._challenger_since = None
            return visible[self._chosen]
        current = self._tracks[self._chosen].motion()
        rival = max(
            (ti for ti in visible if ti != self._chosen),
            key=lambda ti: self._tracks[ti].motion(),
            default=None,
        )
        if rival is not None and self._tracks[rival].motion() > self._switch_ratio * max(
            current, 0.02
        ):
            if self._challenger_since is None:
                self._challenger_since = t_s
            if t_s - self._challenger_since >= self._switch_hold_s:
                self._chosen = rival
                self._challenger_since = None
        else:
            self._challenger_since = None
        return visible[self._chosen]

    def _assign(self, t_s: float, people: list[npt.NDArray[np.float64]]) -> list[int]:
        """Track index for each person: the nearest track by hip position, or a new track."""
        taken: set[int] = set()
        out = []
        for xy in people:
            unit = torso_length(xy)
            hip = hip_centre(xy)
            best, best_d = None, _SAME_PERSON_TORSO * max(unit, 1.0)
            for ti, track in enumerate(self._tracks):
                if ti in taken or not track.samples:
                    continue
                d = float(np.linalg.norm(track.last_hip() - hip))
                if d < best_d:
                    best, best_d = ti, d
            if best is None:
                self._tracks.append(_Track())
                best = len(self._tracks) - 1
            taken.add(best)
            self._tracks[best].samples.append((t_s, xy.copy(), unit))
            out.append(best)
        return out
