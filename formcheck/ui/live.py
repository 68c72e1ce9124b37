"""Live frame processing for the Practice page: one camera frame in, one annotated frame out.

The work per frame is pose -> engine -> cue -> overlay, the same chain the offline analysis runs,
so the live page adds no judgement of its own.

Threading. streamlit-webrtc calls :meth:`LiveProcessor.process_newest` on its own worker thread,
while the page's script thread (and the fragment that refreshes the metrics) calls
:meth:`LiveProcessor.snapshot`, :meth:`LiveProcessor.stop_for_pain`, :meth:`LiveProcessor.finish`
and :meth:`LiveProcessor.reset`. All mutable state sits behind one lock and the page only ever gets
frozen copies, so neither side sees a half-updated session. The pose model runs *outside* that
lock (it has its own, see ``MediaPipePoseBackend``), which keeps the page from waiting on the model
and lets a single model instance be shared by every page session.

Real time. Frames are processed newest first and older queued frames are dropped (see
:meth:`LiveProcessor.process_newest`), and every duration the engine measures comes from the
frames' own timestamps, so a slow machine samples the movement more coarsely but never falls
behind it or miscounts because of the delay.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import av
import cv2
import numpy as np
import numpy.typing as npt

from formcheck.engine.session import ExerciseSession, FrameState, SessionResult
from formcheck.feedback import Cue, CuePicker, reason_text
from formcheck.pose.backend import PoseBackend
from formcheck.render.overlay import draw_overlay
from formcheck.results import RunInfo, to_dict
from formcheck.specs.schema import ExerciseSpec

RgbImage = npt.NDArray[np.uint8]
Status = Literal["waiting", "running", "finished", "stopped_for_pain"]
ENDED: tuple[Status, ...] = ("finished", "stopped_for_pain")

# Used only when a frame carries no timestamp at all; real WebRTC frames always have one.
FALLBACK_FRAME_S = 1 / 30
# Two frames with the same timestamp still need distinct times downstream (the pose model's VIDEO
# mode rejects repeats), so a non-advancing timestamp moves on by this much.
MIN_STEP_S = 1e-3


def frame_time_s(frame: av.VideoFrame) -> float | None:
    """The presentation time of a WebRTC/PyAV frame in seconds, or ``None`` if it has none."""
    if frame.time is not None:
        return float(frame.time)
    if frame.pts is not None and frame.time_base is not None:
        return float(frame.pts * frame.time_base)
    return None


class StreamClock:
    """Maps a stream's frame timestamps to session seconds that start at 0 and always increase.

    WebRTC timestamps start at an arbitrary RTP offset, so the first frame defines zero. A gap is
    kept as it is (the person may really have been out of view); a timestamp that does not advance
    moves on by :data:`MIN_STEP_S` so time never runs backwards for the engine or the model.
    """

    def __init__(self) -> None:
        self._last_raw: float | None = None
        self._now = 0.0
        self._started = False

    def __call__(self, raw_t_s: float | None) -> float:
        """Session time of a frame whose stream timestamp is ``raw_t_s`` (``None``: unknown)."""
        if not self._started:
            self._started = True
            self._last_raw = raw_t_s
            return self._now
        if raw_t_s is None or self._last_raw is None:
            step = FALLBACK_FRAME_S
        else:
            step = max(raw_t_s - self._last_raw, MIN_STEP_S)
        if raw_t_s is not None:
            self._last_raw = raw_t_s
        self._now += step
        return self._now


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows about the session right now; an immutable copy made under the lock.

    Attributes:
        status: ``waiting`` (no frame yet), ``running``, ``finished`` or ``stopped_for_pain``.
        frames: Frames the engine has seen this session.
        t_s: Session time of the latest frame.
        assessable: Whether the latest frame could be judged.
        why_not: Plain words for why it could not (``None`` when it could).
        reason: The engine's reason code behind ``why_not``.
        view: Camera view the engine sees (``side``, ``front``, ``diagonal``, ``unknown``).
        side: Working side (``left``, ``right``, ``both`` or ``none``).
        rep_count: Reps counted.
        good_reps: Reps without a fault.
        faulty_reps: Reps with at least one fault.
        hold_s: Length of the hold under way.
        in_position: Whether the body is in the hold's target position now.
        hold_sides: Side of every finished hold, in order.
        hold_durations_s: Duration of every finished hold, in order.
        key_value: The spec's key angle in the latest frame (NaN when unknown).
        cue_text: The cue on screen (``None`` when there is nothing to say).
        cue_key: Rule id or reason code of that cue.
        cue_severity: ``error``, ``warning`` or ``info``.
        cue_seq: Counts cues *issued*; it changes exactly when a new cue may be spoken.
        fps: Frames processed per second of session time (drops included as gaps).
    """

    status: Status
    frames: int = 0
    t_s: float = 0.0
    assessable: bool = False
    why_not: str | None = None
    reason: str | None = None
    view: str = "unknown"
    side: str = "none"
    rep_count: int = 0
    good_reps: int = 0
    faulty_reps: int = 0
    hold_s: float = 0.0
    in_position: bool = False
    hold_sides: tuple[str, ...] = ()
    hold_durations_s: tuple[float, ...] = ()
    key_value: float = math.nan
    cue_text: str | None = None
    cue_key: str | None = None
    cue_severity: str | None = None
    cue_seq: int = 0
    fps: float = 0.0


@dataclass(frozen=True)
class LiveSummary:
    """The end of a live session.

    Attributes:
        result: The engine's result.
        stopped_for_pain: The patient pressed "Stop - this hurts".
        duration_s: Session time from the first to the last frame.
        report: The result as JSON-able data (:func:`formcheck.results.to_dict`).
    """

    result: SessionResult
    stopped_for_pain: bool
    duration_s: float
    report: dict[str, Any]


class LiveProcessor:
    """Runs one exercise on a live camera stream, frame by frame.

    Args:
        spec: The exercise.
        backend: The pose model. It may be shared with other processors: it must be thread-safe
            and tolerate timestamps that restart (``MediaPipePoseBackend`` nudges them forward).
        side: ``"auto"``, ``"left"`` or ``"right"``, passed to the engine.
        model_name: Recorded in the session report.

    One stream has one worker thread, so :meth:`process` is never called concurrently for the
    same processor and its frames arrive in order; the lock is for the page thread.
    """

    def __init__(
        self,
        spec: ExerciseSpec,
        backend: PoseBackend,
        side: str = "auto",
        model_name: str = "pose_landmarker_full.task",
    ) -> None:
        self._backend = backend
        self._model_name = model_name
        self._lock = threading.Lock()
        self._generation = 0
        self._start_locked(spec, side)

    # -- set-up, guarded by the lock -----------------------------------------------------------

    def _start_locked(self, spec: ExerciseSpec, side: str) -> None:
        self._spec = spec
        self._side = side
        self._session = ExerciseSession(spec, side=side)
        self._picker = CuePicker(spec)
        self._clock = StreamClock()
        self._status: Status = "waiting"
        self._snapshot = LiveSnapshot(status="waiting")
        self._summary: LiveSummary | None = None
        self._last_cue: Cue | None = None
        self._cue_seq = 0
        self._frames = 0
        self._busy_s = 0.0
        self._hold_sides: list[str] = []
        self._hold_durations: list[float] = []
        # A frame whose pose was found before a reset must not land in the new session.
        self._generation += 1

    @property
    def spec(self) -> ExerciseSpec:
        """The exercise being practised."""
        with self._lock:
            return self._spec

    @property
    def side(self) -> str:
        """The side option given to the engine."""
        with self._lock:
            return self._side

    def reset(self, spec: ExerciseSpec | None = None, side: str | None = None) -> None:
        """Start a fresh session, optionally for another exercise or side."""
        with self._lock:
            self._start_locked(spec or self._spec, side or self._side)

    # -- the worker thread's side --------------------------------------------------------------

    def process(self, rgb: RgbImage, raw_t_s: float | None) -> RgbImage:
        """Judge one RGB frame and return it with the overlay drawn on it.

        Args:
            rgb: The camera frame, upright, RGB.
            raw_t_s: The frame's own timestamp in seconds (any origin), ``None`` if unknown.

        Returns:
            The annotated frame (same size). After the session has ended the frame comes back
            dimmed with a short notice and the model is not run.
        """
        with self._lock:
            if self._status in ENDED:
                return _ended_frame(rgb, self._status)
            generation = self._generation
            t_s = self._clock(raw_t_s)
            spec = self._spec
        started = time.perf_counter()
        pose = self._backend.detect(rgb, t_s)
        with self._lock:
            if generation != self._generation or self._status in ENDED:
                # Reset or stopped while the model ran: this frame belongs to no session.
                return rgb
            state = self._session.update(t_s, pose)
            cue = self._picker.update(state)
            self._record_locked(state, cue)
            self._busy_s += time.perf_counter() - started
        return draw_overlay(rgb, pose, state, spec, cue.text if cue else None)

    def process_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """:meth:`process` for a PyAV frame, as streamlit-webrtc delivers them."""
        rgb = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
        out = self.process(rgb, frame_time_s(frame))
        # streamlit-webrtc stamps the input frame's pts and time base on whatever is returned.
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    async def process_newest(self, frames: Sequence[av.VideoFrame]) -> list[av.VideoFrame]:
        """streamlit-webrtc's queued-frames callback: judge only the newest frame.

        In async mode streamlit-webrtc collects the frames that arrived while the previous call
        was busy and hands them over together. Only the last one is processed and the older ones
        are dropped on purpose: working through a backlog would let the picture and the feedback
        lag further and further behind the person. The engine measures time from the frames'
        timestamps, so a dropped frame is just a longer step between samples.
        """
        if not frames:
            return []
        return [self.process_frame(frames[-1])]

    def _record_locked(self, state: FrameState, cue: Cue | None) -> None:
        self._frames += 1
        self._status = "running"
        for hold in state.new_holds:
            self._hold_sides.append(hold.side)
            self._hold_durations.append(hold.duration_s)
        if cue is not None and cue is not self._last_cue:
            # CuePicker returns a new Cue object exactly when a cue may be (re)spoken.
            self._cue_seq += 1
        self._last_cue = cue
        why = (
            None if state.assessable or not state.reason else reason_text(state.reason, self._spec)
        )
        self._snapshot = LiveSnapshot(
            status=self._status,
            frames=self._frames,
            t_s=state.t_s,
            assessable=state.assessable,
            why_not=why,
            reason=state.reason,
            view=state.view,
            side=state.side,
            rep_count=state.rep_count,
            good_reps=state.good_reps,
            faulty_reps=state.faulty_reps,
            hold_s=state.hold_s,
            in_position=state.in_position,
            hold_sides=tuple(self._hold_sides),
            hold_durations_s=tuple(self._hold_durations),
            key_value=state.signals.get(self._spec.key_signal, math.nan),
            cue_text=cue.text if cue else None,
            cue_key=cue.key if cue else None,
            cue_severity=cue.severity if cue else None,
            cue_seq=self._cue_seq,
            fps=self._frames / state.t_s if state.t_s > 0 else 0.0,
        )

    # -- the page's side -----------------------------------------------------------------------

    def snapshot(self) -> LiveSnapshot:
        """The latest state, safe to read from any thread."""
        with self._lock:
            return self._snapshot

    @property
    def status(self) -> Status:
        """``waiting``, ``running``, ``finished`` or ``stopped_for_pain``."""
        with self._lock:
            return self._status

    def stop_for_pain(self) -> LiveSummary:
        """End the session at once because it hurts; frames from now on are not judged."""
        with self._lock:
            if self._status == "stopped_for_pain" and self._summary is not None:
                return self._summary
            return self._end_locked(pain=True)

    def finish(self) -> LiveSummary | None:
        """End the session normally; ``None`` if no frame was ever judged."""
        with self._lock:
            if self._status in ENDED:
                return self._summary
            if self._status == "waiting":
                return None
            return self._end_locked(pain=False)

    def summary(self) -> LiveSummary | None:
        """The summary of the ended session, if it has ended."""
        with self._lock:
            return self._summary

    def _end_locked(self, pain: bool) -> LiveSummary:
        result = self._session.finish()
        duration = self._snapshot.t_s
        run = RunInfo("live camera", duration, self._busy_s, self._model_name)
        self._status = "stopped_for_pain" if pain else "finished"
        self._snapshot = replace(self._snapshot, status=self._status)
        self._summary = LiveSummary(result, pain, duration, to_dict(result, run, pain))
        return self._summary


def _ended_frame(rgb: RgbImage, status: Status) -> RgbImage:
    """The camera picture dimmed, with a notice, once the session is over."""
    out = (rgb.astype(np.uint16) * 2 // 5).astype(np.uint8)
    text = "Stopped - rest now" if status == "stopped_for_pain" else "Session ended"
    h, w = out.shape[:2]
    scale = max(0.6, min(w, h) / 500)
    cv2.putText(
        out, text, (16, h // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA
    )
    return out
