"""Cues: one clear instruction at a time, most important first, without nagging.

The engine says what is wrong; this module decides what the person hears. Faults outrank set-up
problems only once the person is being assessed; errors outrank warnings, warnings outrank info.
The same words are not repeated within ``repeat_cooldown_s``, and a new cue waits
``min_gap_s`` after the last one so cues never pile up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from formcheck.engine.session import FrameState
from formcheck.specs.schema import ExerciseSpec, Rule
from formcheck.types import SEVERITY_RANK, NotJudgedReason, Severity, View

# A rule the view cannot judge is mentioned at most once a minute: in a box squat the knees are
# judged from the front and the back from the side, so one of the two is always unchecked.
UNCHECKED_REPEAT_S = 60.0
# A reason for not judging is said only once it has lasted this long: the model loses a person
# for a frame or two (on the real corpus every "step into the picture" that would have been said
# lasted 0.03-0.13 s, and 9 of 11 "step back or improve the light" 0.03-0.33 s, while the person
# stood in full view). A patient really out of view hears it half a second later.
REASON_PERSIST_S = 0.5
_UNCHECKED = "unchecked:"
# A clinician set this patient a minimum depth and the stretch is short of it: the clock waits.
BELOW_TARGET = "below_target"
BELOW_TARGET_TEXT = (
    "Ease a little further into the stretch if it is comfortable - "
    "the clock starts at the depth your clinician set."
)


def reason_text(reason: NotJudgedReason, spec: ExerciseSpec) -> str:
    """Plain words for a 'cannot assess' reason."""
    if reason == "no_person":
        return "Step into the picture so your whole body is in view."
    if reason == "low_confidence":
        parts = ", ".join(spec.ready.landmarks)
        return f"Step back or improve the light so your {parts} are clearly in view."
    if reason == "not_ready":
        return f"Get into the start position: {spec.start_position}"
    return "Cannot check your form right now."


def _turn(views: Sequence[View]) -> str:
    if list(views) == ["front"]:
        return "Turn to face the camera"
    if "front" not in views:
        return "Turn side-on to the camera"
    return "Turn so the camera sees you " + " or ".join(views) + "-on"


def unmeasured_text(rule: Rule) -> str:
    """Plain words for a rule whose signal the camera cannot measure now (e.g. the back's
    outline hidden, flickering in dim light or merged with something behind the person, the feet
    hidden behind the legs)."""
    what = rule.checks or "this part of your form"
    if rule.signal.startswith("back_"):  # read from the person's outline (segmentation mask)
        advice = "Keep it in full view, side-on to the camera, in good light, against a plain "
        advice += "background, in fitted clothes."
    else:
        advice = f"Keep {what} in full view of the camera."
    return f"{what[0].upper()}{what[1:]} cannot be seen clearly enough to check. {advice}"


def unchecked_text(rule: Rule) -> str:
    """Plain words for a rule this camera view cannot judge."""
    what = rule.checks or "this part of your form"
    return f"From this angle {what} cannot be checked. {_turn(rule.views)} to have it checked."


@dataclass(frozen=True)
class Cue:
    """One instruction for the person: what it is about, its words and how much it matters."""

    key: str  # rule id or reason code
    text: str
    severity: Severity


class CuePicker:
    """Chooses, frame by frame, the one cue to show and say (the module docstring has the rules).

    Args:
        spec: The exercise: its rules, start position and readiness.
        repeat_cooldown_s: The same cue is not said again within this many seconds.
        min_gap_s: A new cue waits this long after the last one.
    """

    def __init__(
        self, spec: ExerciseSpec, repeat_cooldown_s: float = 6.0, min_gap_s: float = 2.0
    ) -> None:
        self._spec = spec
        self._rules = {r.id: r for r in [*spec.rules, *spec.implicit_rules()]}
        self._repeat_cooldown_s = repeat_cooldown_s
        self._min_gap_s = min_gap_s
        self._last_said: dict[str, float] = {}
        self._last_any_s = -1e9
        self._reason: NotJudgedReason | None = None
        self._reason_since_s = 0.0
        self.current: Cue | None = None

    def candidates(self, state: FrameState) -> list[Cue]:
        """Every cue that applies now, most important first."""
        if not state.assessable and state.reason:
            return [Cue(state.reason, reason_text(state.reason, self._spec), "error")]
        faults = [self._rules[r] for r in state.active_faults if r in self._rules]
        faults.sort(key=lambda r: SEVERITY_RANK[r.severity])
        hints = [
            Cue(_UNCHECKED + r, unchecked_text(self._rules[r]), "info")
            for r in state.unchecked_rules
            if r in self._rules
        ] + [
            Cue(_UNCHECKED + "measure:" + r, unmeasured_text(self._rules[r]), "info")
            for r in state.unmeasured_rules
            if r in self._rules
        ]
        depth = (
            [Cue(BELOW_TARGET, BELOW_TARGET_TEXT, "warning")]
            if state.hold_waiting == BELOW_TARGET
            else []
        )
        return [Cue(r.id, r.message, r.severity) for r in faults] + depth + hints

    def update(self, state: FrameState) -> Cue | None:
        """The cue to show now; a *new* one is returned only when it may be spoken.

        While a reason for not judging is younger than :data:`REASON_PERSIST_S` the cue on
        screen stays as it was. For ``not_ready`` the start position's own ``min_s`` comes on
        top: the person is "not ready" for that long even when standing in position.
        """
        if not state.assessable and state.reason:
            if state.reason != self._reason:
                self._reason, self._reason_since_s = state.reason, state.t_s
            wait_s = REASON_PERSIST_S
            if state.reason == "not_ready":
                wait_s += self._spec.ready.min_s
            if state.t_s - self._reason_since_s < wait_s:
                return self.current
        else:
            self._reason = None
        options = self.candidates(state)
        if not options:
            self.current = None
            return None
        best = options[0]
        t = state.t_s
        if self.current is not None and self.current.key == best.key:
            return self.current
        if t - self._last_any_s < self._min_gap_s:
            return self.current
        cooldown_s = (
            UNCHECKED_REPEAT_S if best.key.startswith(_UNCHECKED) else self._repeat_cooldown_s
        )
        if t - self._last_said.get(best.key, -1e9) < cooldown_s:
            return self.current
        self._last_said[best.key] = t
        self._last_any_s = t
        self.current = best
        return best
