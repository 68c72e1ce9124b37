"""The words every layer shares: views, sides, rep phases, severities and the like, as Literals.

They sit at the bottom of the package, below the signals, the specs and the engine, so that each
of those imports them from here instead of from a layer beside or above it.
"""

from __future__ import annotations

from typing import Literal

# How a spec names the camera's view of the body (what an exercise or a rule can be judged in).
View = Literal["side", "front", "diagonal"]
# The view the engine sees in a frame: one of the above, or "unknown" before any pose.
SeenView = Literal["side", "front", "diagonal", "unknown"]
# A side of the body.
Side = Literal["left", "right"]
# The side the engine judges: one leg, the mean of both, or none (no person, a glitch).
WorkingSide = Literal["left", "right", "both", "none"]
# Which sides an exercise (a spec's ``sides``, a program's) works: none, both, or a fixed one.
SideMode = Literal["none", "both", "left", "right"]
# The side a user may ask for: found by the engine ("auto") or fixed.
SideChoice = Literal["auto", "left", "right"]
SIDE_CHOICES: tuple[SideChoice, ...] = ("auto", "left", "right")
# Where a rep is: leaving the start band, in the end band, coming back; or in a hold.
Phase = Literal["start", "outward", "end", "return", "hold"]
# How much a rule's fault matters; cues are said, and rules listed, most severe first.
Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2}
# Why a frame could not be judged.
NotJudgedReason = Literal["no_person", "low_confidence", "not_ready"]
# Which way a range-of-motion signal means more range (a spec's ``rom.better``).
RomBetter = Literal["higher", "lower"]
