"""Perception, the first room of the engine: what one frame shows, before anything is judged.

Per frame: the camera's view of the body and the side being worked, the spec's signals measured
and smoothed, and whether the landmarks the spec needs are in view. Nothing here counts, times or
judges; :class:`~formcheck.engine.session.ExerciseSession` does that with what this returns.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from formcheck.landmarks import (
    PoseFrame,
    hip_centre,
    side_name,
    sides_of,
    torso_length,
    trunk_direction_deg,
)
from formcheck.signals.catalog import SIDE_DETECTORS, SIGNALS, SignalContext
from formcheck.signals.filters import CausalOneEuro, JitterGate
from formcheck.signals.geometry import distance
from formcheck.signals.reference import StandingHipHeight
from formcheck.signals.view import ViewTracker
from formcheck.specs.schema import ExerciseSpec
from formcheck.types import NotJudgedReason, SeenView, Side, SideChoice, WorkingSide

# The working side of two-sided exercises is the majority over this window, so it does not flicker.
SIDE_WINDOW_S = 2.0
# Once the body is in view, a landmark must drop this far below the spec's ``min_visibility``
# before frames count as low confidence again (a Schmitt trigger). A limb behind the body, such as
# the far knee side-on, scores close to any fixed floor: in a rendered lying figure-four the crossed
# far knee read 0.28-0.34 through a pelvis lift, so a single floor of 0.3 broke the hold and the
# lift went unjudged.
VISIBILITY_HYSTERESIS = 0.1
# Between two frames less than JUMP_WINDOW_S apart, hips moving this many torso lengths in the
# image are not one body moving: the tracker has switched to another person, or the video cuts.
# Frame to frame, real exercise moves the hips at most 0.72 torso lengths in 66 labelled clips
# (most under 0.15; the larger ones are landmark glitches), a switch between the two people of a
# split-screen clip 2.9.
JUMP_TORSO = 1.5
JUMP_WINDOW_S = 0.2
# Short of a jump lies the landmark glitch: for a few frames the model turns the body into
# another pose somewhere near (a second person close by, a plate, a dark corner) and then back.
# The trunk's direction in the image tells it: in ordinary exercise it turns at most 335 deg a
# second on the real corpus (11 deg a frame at 30 fps, 34 at 10), while the glitches turn it by
# 90-180 deg from one frame to the next (a side-lying patient's pose taken over by the kneeling
# therapist behind him: 96 deg). A frame whose trunk turned more than GLITCH_TURN_DEG from the
# last trusted frame's is not judged; if it stays turned for GLITCH_SETTLE_S, the person did turn
# (from lying to sitting up, say) and is followed.
GLITCH_TURN_DEG = 45.0
GLITCH_SETTLE_S = 0.3
# A trunk seen end-on (bending toward the camera) is too short in the image for its direction to
# mean anything; under this share of the last trusted trunk's length it is not compared.
GLITCH_MIN_TORSO_SHARE = 0.4


@dataclass(frozen=True)
class Perceived:
    """What one frame shows.

    ``reason`` says why the frame cannot be judged at all (``no_person``, ``low_confidence``),
    or is None when it can be, readiness aside.
    """

    view: SeenView
    side: WorkingSide
    signals: dict[str, float]  # smoothed; empty without a person
    reason: NotJudgedReason | None
    # The body jumped since the last frame (another person followed, a cut in the video): what
    # was under way was not seen from its start.
    jumped: bool = False


class JumpDetector:
    """Did the hips jump further since the previous frame than a body can move?"""

    def __init__(self) -> None:
        self._last: tuple[float, np.ndarray, float] | None = None

    def update(self, t_s: float, frame: PoseFrame | None) -> bool:
        """Feed one frame (None: no pose); True when the hips jumped further than a body moves."""
        if frame is None:
            return False
        hip, torso = hip_centre(frame.xy_px), torso_length(frame.xy_px)
        last, self._last = self._last, (t_s, hip, torso)
        if last is None or t_s - last[0] > JUMP_WINDOW_S:
            return False
        # The longer of the two torsos: one misread frame can fold a torso to a few pixels.
        unit = max(torso, last[2])
        moved = distance(hip, last[1])
        return not math.isnan(moved) and unit > 0 and moved > JUMP_TORSO * unit


class GlitchGate:
    """Is this frame's pose a glitch: the trunk turned further since the last trusted frame than
    a body turns in one frame? After a gap in the poses (over ``JUMP_WINDOW_S``) anything goes.

    Once a glitch starts, each frame is compared with the last trusted one, so a glitch lasting
    several frames stays a glitch until the pose comes back or stays for ``GLITCH_SETTLE_S``.
    """

    def __init__(self) -> None:
        self._trusted: tuple[float, float] | None = None  # direction (deg), torso length (px)
        self._last_t: float | None = None
        self._away_since: float | None = None

    def update(self, t_s: float, frame: PoseFrame | None) -> bool:
        """Feed one frame (None: no pose); True when its pose is a glitch, not to be used."""
        if frame is None:
            return False
        direction, torso = trunk_direction_deg(frame.xy_px), torso_length(frame.xy_px)
        gap = self._last_t is None or t_s - self._last_t > JUMP_WINDOW_S
        self._last_t = t_s
        if gap or self._trusted is None or math.isnan(direction):
            return self._trust(direction, torso)
        if torso < GLITCH_MIN_TORSO_SHARE * self._trusted[1]:
            return False
        turned = abs((direction - self._trusted[0] + 180.0) % 360.0 - 180.0)
        if turned <= GLITCH_TURN_DEG:
            return self._trust(direction, torso)
        if self._away_since is None:
            self._away_since = t_s
        if t_s - self._away_since >= GLITCH_SETTLE_S:
            return self._trust(direction, torso)
        return True

    def _trust(self, direction: float, torso: float) -> bool:
        if not math.isnan(direction):
            self._trusted = (direction, torso)
        self._away_since = None
        return False


class Perception:
    """View, working side, smoothed signals and the visibility gate of one exercise's frames.

    Args:
        spec: The exercise (its signals, sides, side detector, views and visibility floor).
        side: ``"auto"`` or a fixed ``"left"``/``"right"``.
    """

    def __init__(self, spec: ExerciseSpec, side: SideChoice = "auto") -> None:
        self.spec = spec
        self._side_option = side
        self._views = ViewTracker()
        # The person's standing hip height, the reference of ``hip_drop_leg``.
        self._standing = StandingHipHeight()
        self._filters = {name: CausalOneEuro() for name in spec.signals}
        # Readings that can flicker (the back's outline) are dropped while they do.
        self._jitter_gates = {
            name: JitterGate(limit)
            for name in spec.signals
            if (limit := SIGNALS[name].max_jitter) is not None
        }
        self._side_votes: deque[tuple[float, Side | None]] = deque()
        self._in_view = False  # the last pose passed the visibility gate (VISIBILITY_HYSTERESIS)
        self.last_raw: dict[str, float] = {}  # each signal's last unsmoothed value
        self._jumps = JumpDetector()
        self._glitches = GlitchGate()

    def update(self, t_s: float, frame: PoseFrame | None) -> Perceived:
        """What the frame at ``t_s`` shows (None: no person found): view, working side, smoothed
        signals, and whether it can be judged at all."""
        jumped = self._jumps.update(t_s, frame)
        if frame is None:
            self._in_view = False
            return Perceived(self._views.current().view, "none", {}, "no_person")
        if self._glitches.update(t_s, frame):
            # Nothing of this pose is used, not even to smooth the signals.
            return Perceived(self._views.current().view, "none", {}, "low_confidence", jumped)
        estimate = self._views.update(frame)
        view = estimate.view
        side = self._working_side(frame, view, estimate.near_side)
        ctx = SignalContext(
            view if view != "unknown" else "front", side, self._standing.update(frame)
        )
        signals: dict[str, float] = {}
        for name in self.spec.signals:
            raw = SIGNALS[name].fn(frame, ctx)
            signals[name] = self._filters[name](raw, t_s)
            if name in self._jitter_gates:
                signals[name] = self._jitter_gates[name](raw, signals[name], t_s)
            self.last_raw[name] = raw
        self._in_view = self._visible(frame, side)
        reason: NotJudgedReason | None = None
        # A view the spec does not recommend is still counted and timed: only the rules that
        # view cannot judge are left unchecked (and said so).
        if not self._in_view:
            reason = "low_confidence"
        return Perceived(view, side, signals, reason, jumped)

    def _working_side(self, frame: PoseFrame, view: SeenView, near: Side) -> WorkingSide:
        if self._side_option in ("left", "right"):
            return self._side_option
        if self.spec.sides == "both" and self.spec.side_detector:
            vote = SIDE_DETECTORS[self.spec.side_detector](frame, view)
            self._side_votes.append((frame.t_s, vote))
            while self._side_votes and frame.t_s - self._side_votes[0][0] > SIDE_WINDOW_S:
                self._side_votes.popleft()
            lefts = sum(1 for _, s in self._side_votes if s == "left")
            rights = sum(1 for _, s in self._side_votes if s == "right")
            # Mostly no leg singled out (both legs doing the same): judged as a two-leg
            # exercise below, so a side view judges the leg it sees, not the hidden one.
            if (lefts + rights) * 2 >= len(self._side_votes):
                return "left" if lefts >= rights else "right"
        if self.spec.sides in ("left", "right"):
            return self.spec.sides
        # Bilateral exercise: the near side from the side (the far one is hidden), both otherwise;
        # half-turned, the far leg is often hidden too, and then the one in view is judged.
        if view == "side":
            return near
        if view == "diagonal":
            left, right = self._side_in_view(frame, "left"), self._side_in_view(frame, "right")
            if left != right:
                return "left" if left else "right"
        return "both"

    def _floor(self) -> float:
        floor = self.spec.ready.min_visibility
        return floor - VISIBILITY_HYSTERESIS if self._in_view else floor

    def _side_in_view(self, frame: PoseFrame, side: Side) -> bool:
        floor = self._floor()
        parts = [p for p in self.spec.ready.landmarks if p != "nose"]
        return all(frame.vis(side_name(side, part)) >= floor for part in parts)

    def _visible(self, frame: PoseFrame, side: WorkingSide) -> bool:
        sides = sides_of(side)
        floor = self._floor()
        for part in self.spec.ready.landmarks:
            names = [side_name(s, part) for s in sides] if part not in ("nose",) else [part]
            if any(frame.vis(n) < floor for n in names):
                return False
        return True
