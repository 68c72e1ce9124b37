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

Camera off and on again. Turning the camera off pauses the session (:meth:`LiveProcessor.pause`):
the count and the holds are kept, the pose model is released, and the next stream's frames carry
on the same session, with session time standing still while the camera was off.

Recording. When the patient switches recording on, :meth:`LiveProcessor.record_to` hands each
analysed camera frame, as it came from the camera, with its session time to a frame sink (see
:mod:`formcheck.ui.recording`), so a time in the set's result is the same moment in the video.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import av
import cv2
import numpy as np
import numpy.typing as npt

from formcheck.engine.session import ExerciseSession, FrameState, SessionResult
from formcheck.feedback import Cue, CuePicker, reason_text
from formcheck.pose.backend import PoseBackend
from formcheck.pose.model_store import ModelInstallError
from formcheck.render.overlay import draw_overlay
from formcheck.results import RunInfo, to_dict
from formcheck.specs.schema import ExerciseSpec
from formcheck.types import NotJudgedReason, SeenView, Severity, SideChoice, WorkingSide

RgbImage = npt.NDArray[np.uint8]
Status = Literal["waiting", "running", "paused", "finished", "stopped_for_pain"]
ENDED: tuple[Status, ...] = ("finished", "stopped_for_pain")
# Takes each analysed frame with its session time; called with the processor's lock held.
FrameSink = Callable[[float, RgbImage], None]

# Used only when a frame carries no timestamp at all; real WebRTC frames always have one.
FALLBACK_FRAME_S = 1 / 30
# Two frames with the same timestamp still need distinct times downstream (the pose model's VIDEO
# mode rejects repeats), so a non-advancing timestamp moves on by this much.
MIN_STEP_S = 1e-3
# Within one stream the analysed frames are never further apart than the slowest frame takes to
# analyse (streamlit-webrtc gives up on a callback after 10 s). A larger jump, or a step back, is
# a new stream: WebRTC starts each one at a random RTP timestamp.
MAX_STEP_S = 10.0
# Analysed and camera frame rates are shown over this much of the stream's own time: long enough
# to smooth frame-to-frame jitter, short enough to follow a slowdown within a few seconds.
RATE_WINDOW_S = 3.0
# Below this many analysed frames a second, rep exercises start to slip. Of the 35 real rep
# clips filmed at 30 fps, 30 are counted exactly from every frame and 29 from every 2nd, 3rd or
# 4th (15, 10, 7.5 fps), every rounded back found; from every 5th (6 fps) one rounded back of
# five is missed, from every 6th (5 fps) 27 are exact. Holds kept their figures down to 5 fps
# (`formcheck evaluate --frame-step`).
MIN_COUNTING_FPS = 8.0
# A frame that fails keeps failing 30 times a second: the log gets the first traceback and then
# one line per this many failures.
FAILED_FRAMES_LOG_EVERY = 100

_log = logging.getLogger(__name__)


def frame_time_s(frame: av.VideoFrame) -> float | None:
    """The presentation time of a WebRTC/PyAV frame in seconds, or ``None`` if it has none."""
    if frame.time is not None:
        return float(frame.time)
    if frame.pts is not None and frame.time_base is not None:
        return float(frame.pts * frame.time_base)
    return None


class StreamClock:
    """Maps a stream's frame timestamps to session seconds that start at 0 and always increase.

    WebRTC timestamps start at an arbitrary RTP offset, so the first frame defines zero. A gap
    between analysed frames is kept as it is (frames were dropped while the model was busy); a
    timestamp that does not advance moves on by :data:`MIN_STEP_S` so time never runs backwards
    for the engine or the model. A new stream (the camera turned off and on, or a timestamp that
    jumps back or more than :data:`MAX_STEP_S` ahead) continues :data:`MIN_STEP_S` after the last
    frame: time stands still while the camera is off, so a hold gains nothing from the pause.
    """

    def __init__(self) -> None:
        self._last_raw: float | None = None
        self._now = 0.0
        self._started = False
        self._new_stream = False

    def new_stream(self) -> None:
        """The next frame starts another stream, whatever its timestamp."""
        self._new_stream = True

    def __call__(self, raw_t_s: float | None) -> float:
        """Session time of a frame whose stream timestamp is ``raw_t_s`` (``None``: unknown)."""
        if not self._started:
            self._started = True
            self._last_raw = raw_t_s
            return self._now
        if raw_t_s is None or self._last_raw is None:
            step = FALLBACK_FRAME_S
        else:
            step = raw_t_s - self._last_raw
            step = MIN_STEP_S if not 0 <= step <= MAX_STEP_S else max(step, MIN_STEP_S)
        if self._new_stream:
            step = MIN_STEP_S
            self._new_stream = False
        if raw_t_s is not None:
            self._last_raw = raw_t_s
        self._now += step
        return self._now


class RateMeter:
    """Events per second over the last :data:`RATE_WINDOW_S` of their own timestamps.

    A timestamp that goes back, or skips more than the window, starts the count afresh (a new
    stream), so the rate always describes the frames arriving now.
    """

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self._window_s = window_s
        self._times: deque[float] = deque()

    def add(self, t_s: float) -> None:
        """Record one event at ``t_s`` seconds."""
        if self._times and not 0 <= t_s - self._times[-1] <= self._window_s:
            self._times.clear()
        self._times.append(t_s)
        while t_s - self._times[0] > self._window_s:
            self._times.popleft()

    @property
    def span_s(self) -> float:
        """Time between the first and the last event in the window."""
        return self._times[-1] - self._times[0] if self._times else 0.0

    def per_s(self) -> float:
        """Events per second in the window; 0 until two events span some time."""
        span = self.span_s
        return (len(self._times) - 1) / span if span > 0 else 0.0


def to_video_frame(rgb: RgbImage) -> av.VideoFrame:
    """An RGB picture as a frame the returned stream's encoder takes as it is.

    aiortc's VP8 encoder needs yuv420p. Given rgb24 it converts with swscale (3.2 ms at 640x480
    here, on top of 2 ms of encoding), and it does so for every frame it sends: the latest
    analysed picture is sent again for each camera frame until the next one is ready, so 30
    times a second. OpenCV converts once per analysed frame in 0.2 ms. yuv420p needs even sides.
    """
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        return av.VideoFrame.from_ndarray(rgb, format="rgb24")
    yuv = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), dtype=np.uint8)
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p")


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows about the session right now; an immutable copy made under the lock.

    Attributes:
        status: ``waiting`` (no frame yet), ``running``, ``paused`` (camera off, count kept),
            ``finished`` or ``stopped_for_pain``.
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
        depth: The stretch's depth now (the spec's ``rom`` signal; NaN without one or unknown).
        cue_text: The cue on screen (``None`` when there is nothing to say).
        cue_key: Rule id or reason code of that cue.
        cue_severity: ``error``, ``warning`` or ``info``.
        cue_seq: Counts cues *issued*; it changes exactly when a new cue may be spoken.
        fps: Frames analysed per second over the last :data:`RATE_WINDOW_S` of stream time.
        camera_fps: Frames the camera sent per second over the same window.
        too_slow_to_count: ``fps`` has stayed under :data:`MIN_COUNTING_FPS` for a whole
            window of a running stream (not just while the model warms up).
        model_problem: Why the pose model could not run (``None`` while it runs).
        failed_frames: Frames of this session that raised an error while being checked; they
            went back to the page unannotated and the stream carried on.
    """

    status: Status
    frames: int = 0
    t_s: float = 0.0
    assessable: bool = False
    why_not: str | None = None
    reason: NotJudgedReason | None = None
    view: SeenView = "unknown"
    side: WorkingSide = "none"
    rep_count: int = 0
    good_reps: int = 0
    faulty_reps: int = 0
    hold_s: float = 0.0
    in_position: bool = False
    hold_sides: tuple[str, ...] = ()
    hold_durations_s: tuple[float, ...] = ()
    key_value: float = math.nan
    depth: float = math.nan
    cue_text: str | None = None
    cue_key: str | None = None
    cue_severity: Severity | None = None
    cue_seq: int = 0
    fps: float = 0.0
    camera_fps: float = 0.0
    too_slow_to_count: bool = False
    model_problem: str | None = None
    failed_frames: int = 0


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
        backend: The pose model, this processor's own: a tracking model carries state from one
            frame to the next, so two people practising at once must not share one. It is closed
            when the camera stops and must open again on the next frame
            (:class:`formcheck.ui.live_model.StreamModel` does).
        side: ``"auto"``, ``"left"`` or ``"right"``, passed to the engine.
        model_name: Recorded in the session report.

    One stream has one worker thread, so :meth:`process` is never called concurrently for the
    same processor and its frames arrive in order; the lock is for the page thread and for
    streamlit-webrtc's thread that reports the end of a stream.
    """

    def __init__(
        self,
        spec: ExerciseSpec,
        backend: PoseBackend,
        side: SideChoice = "auto",
        model_name: str = "pose_landmarker_full.task",
    ) -> None:
        self._backend = backend
        self._model_name = model_name
        self._lock = threading.Lock()
        self._generation = 0
        self._sink: FrameSink | None = None
        self._start_locked(spec, side)

    # -- set-up, guarded by the lock -----------------------------------------------------------

    def _start_locked(self, spec: ExerciseSpec, side: SideChoice) -> None:
        self._spec = spec
        self._side = side
        self._session = ExerciseSession(spec, side=side)
        self._picker = CuePicker(spec)
        self._clock = StreamClock()
        self._analysed_rate = RateMeter()
        self._camera_rate = RateMeter()
        self._status: Status = "waiting"
        self._snapshot = LiveSnapshot(status="waiting")
        self._summary: LiveSummary | None = None
        self._last_cue: Cue | None = None
        self._cue_seq = 0
        self._frames = 0
        self._failed_frames = 0
        self._busy_s = 0.0
        self._hold_sides: list[str] = []
        self._hold_durations: list[float] = []
        # A frame whose pose was found before a reset must not land in the new session.
        self._generation += 1
        # A recording belongs to one session; the new one starts unrecorded.
        self._sink = None

    @property
    def spec(self) -> ExerciseSpec:
        """The exercise being practised."""
        with self._lock:
            return self._spec

    @property
    def side(self) -> SideChoice:
        """The side option given to the engine."""
        with self._lock:
            return self._side

    def reset(
        self,
        spec: ExerciseSpec | None = None,
        side: SideChoice | None = None,
        sink: FrameSink | None = None,
    ) -> None:
        """Start a fresh session, optionally for another exercise or side, recorded into
        ``sink`` from its first frame (attached in the same step, for frames already coming in:
        START after a finished set)."""
        with self._lock:
            self._start_locked(spec or self._spec, side or self._side)
            self._sink = sink

    def record_to(self, sink: FrameSink | None) -> bool:
        """Hand every frame the engine analyses in this session to ``sink`` (``None``: stop).

        ``sink`` gets the camera frame as :meth:`process` got it (no overlay) and its session
        time. It runs on streamlit-webrtc's thread with this processor's lock held, so it must
        return at once and must not change the frame (``FrameRecorder.write`` only queues it).
        A reset detaches it.

        Returns:
            Whether ``sink`` is attached: a recording must start with the session's first frame
            for its times to be the result's, so once a frame has been analysed none is.
        """
        with self._lock:
            if sink is not None and self._frames:
                return False
            self._sink = sink
            return True

    @property
    def frame_sink(self) -> FrameSink | None:
        """The sink attached by :meth:`record_to`, if any."""
        with self._lock:
            return self._sink

    # -- the worker thread's side --------------------------------------------------------------

    def process(self, rgb: RgbImage, raw_t_s: float | None) -> RgbImage:
        """Judge one RGB frame and return it with the overlay drawn on it.

        Args:
            rgb: The camera frame, upright, RGB.
            raw_t_s: The frame's own timestamp in seconds (any origin), ``None`` if unknown.

        Returns:
            The annotated frame (same size). After the session has ended the frame comes back
            dimmed with a short notice and the model is not run. A paused session carries on.
        """
        with self._lock:
            if self._status in ENDED:
                return _ended_frame(rgb, self._status)
            if self._status == "paused":
                self._status = "running"
            generation = self._generation
            t_s = self._clock(raw_t_s)
            spec = self._spec
        started = time.perf_counter()
        try:
            pose = self._backend.detect(rgb, t_s)
        except ModelInstallError as exc:
            # The model opens on the stream's own thread, where nobody would see the error:
            # the page shows it instead, and the frame goes back as it came.
            with self._lock:
                self._snapshot = replace(self._snapshot, model_problem=str(exc))
            return rgb
        with self._lock:
            if generation != self._generation or self._status in ENDED:
                # Reset or stopped while the model ran: this frame belongs to no session.
                return rgb
            state = self._session.update(t_s, pose)
            cue = self._picker.update(state)
            self._record_locked(state, cue)
            if self._sink is not None:
                self._sink(t_s, rgb)
            self._busy_s += time.perf_counter() - started
        return draw_overlay(rgb, pose, state, spec, cue.text if cue else None)

    def process_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """:meth:`process` for a PyAV frame, as streamlit-webrtc delivers them."""
        rgb: RgbImage = frame.to_ndarray(format="rgb24")  # type: ignore[assignment]
        out = self.process(rgb, frame_time_s(frame))
        # streamlit-webrtc stamps the input frame's pts and time base on whatever is returned.
        return to_video_frame(out)

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
        with self._lock:
            for frame in frames:
                raw_t_s = frame_time_s(frame)
                if raw_t_s is not None:
                    self._camera_rate.add(raw_t_s)
        newest = frames[-1]
        try:
            return [self.process_frame(newest)]
        except Exception:
            # streamlit-webrtc ends the stream for good when this callback raises: the patient
            # would see the picture freeze with the last count on the page. One frame that
            # cannot be checked must not end the set; the page says so and the log has why.
            self._frame_failed()
            return [newest]

    def _frame_failed(self) -> None:
        with self._lock:
            self._failed_frames += 1
            failed = self._failed_frames
            self._snapshot = replace(self._snapshot, failed_frames=failed)
        if failed == 1 or failed % FAILED_FRAMES_LOG_EVERY == 0:
            _log.exception("could not check a camera frame (%d this session)", failed)

    def _record_locked(self, state: FrameState, cue: Cue | None) -> None:
        self._frames += 1
        if self._status == "waiting":
            # Not "paused": a frame the model finished after the camera stopped keeps the pause.
            self._status = "running"
        self._analysed_rate.add(state.t_s)
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
        fps = self._analysed_rate.per_s()
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
            depth=(
                state.signals.get(self._spec.rom.signal, math.nan) if self._spec.rom else math.nan
            ),
            cue_text=cue.text if cue else None,
            cue_key=cue.key if cue else None,
            cue_severity=cue.severity if cue else None,
            cue_seq=self._cue_seq,
            fps=fps,
            camera_fps=self._camera_rate.per_s(),
            too_slow_to_count=(
                self._analysed_rate.span_s >= 0.9 * RATE_WINDOW_S and fps < MIN_COUNTING_FPS
            ),
            failed_frames=self._failed_frames,
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

    def pause(self) -> None:
        """The camera stopped: keep the session for when it starts again, release the model.

        Safe to call more than once and from any thread. The next frame resumes the session
        (see :class:`StreamClock` for its time).
        """
        with self._lock:
            if self._status == "running":
                self._status = "paused"
                self._snapshot = replace(self._snapshot, status="paused", fps=0.0, camera_fps=0.0)
                self._clock.new_stream()
                # Rates describe the stream under way; the next one starts its own.
                self._analysed_rate = RateMeter()
                self._camera_rate = RateMeter()
        # Outside the lock: closing waits for a frame the model may still be working on.
        self._backend.close()

    def stop_for_pain(self) -> LiveSummary:
        """End the session at once because it hurts; frames from now on are not judged."""
        with self._lock:
            if self._status == "stopped_for_pain" and self._summary is not None:
                return self._summary
            summary = self._end_locked(pain=True)
        self._backend.close()
        return summary

    def finish(self) -> LiveSummary | None:
        """End the session normally (running or paused); ``None`` if no frame was judged."""
        with self._lock:
            if self._status in ENDED:
                return self._summary
            if self._status == "waiting":
                return None
            summary = self._end_locked(pain=False)
        self._backend.close()
        return summary

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
