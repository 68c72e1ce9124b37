"""Practice page: the patient does an exercise in front of the laptop camera with live feedback.

The camera stream runs through :mod:`formcheck.ui.webrtc` (the seam that tests replace) into a
:class:`~formcheck.ui.live.LiveProcessor` kept in the browser session's state, with a pose model of
its own (:mod:`formcheck.ui.live_model`), so two tabs practising at once never mix. The processor
works on streamlit-webrtc's thread; this page only reads its snapshots, from a fragment that reruns
every :data:`REFRESH_S` seconds while the camera plays, so the metrics stay current without
rerunning the whole page (which would also redraw the video component).

STOP (or a lost connection) pauses the session and keeps the count: START carries on with the same
set. "Finish session" ends it and shows the summary; START after that begins a new session.

With a patient chosen, a switch records the set's camera video (:mod:`formcheck.ui.recording`):
off by default, decided before the set's first frame, kept only with the saved set, and deleted
when the set is left unsaved (a new session, another exercise, the switch turned off).
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass

import streamlit as st

from formcheck.history.records import Patient
from formcheck.specs.schema import ExerciseSpec
from formcheck.types import SIDE_CHOICES, SideChoice
from formcheck.ui import history_hooks, webrtc
from formcheck.ui import patient as patient_ui
from formcheck.ui.library import not_checked_lines, prescription_lines, views_text
from formcheck.ui.live import ENDED, LiveProcessor, LiveSnapshot, LiveSummary
from formcheck.ui.live_model import live_backend
from formcheck.ui.progress import hold_round_text, holds_by_side, rep_sets
from formcheck.ui.recording import FrameRecorder, new_recording_path, remove_leftovers
from formcheck.ui.resources import model_path_or_none, specs_or_stop
from formcheck.ui.review import markdown_literal, signal_label, signal_number
from formcheck.ui.speech import speech_html

REFRESH_S = 0.5
PROCESSOR_KEY = "live_processor"
WAS_PLAYING_KEY = "practice_was_playing"
RECORD_KEY = "practice_record"  # the switch, followed by the patient's id
RECORDING_KEY = "practice_recording"  # the set's _Recording
SWEPT_KEY = "practice_recordings_swept"  # leftovers removed once per browser session
SIDE_WORDS = {"left": "Left", "right": "Right", "both": "Both", "none": "-"}


def _setup_card(spec: ExerciseSpec) -> None:
    with st.container(border=True):
        st.markdown(f"**Set-up: {spec.title}**")
        a, b = st.columns(2)
        with a:
            st.markdown(f"**Where to put the laptop.** {spec.camera.setup}")
            st.caption(f"The camera should see you {views_text(spec.camera.views)}.")
        with b:
            st.markdown(f"**Start position.** {spec.start_position}")
            lines = prescription_lines(spec.prescription, spec.kind)
            if lines:
                st.caption("Today: " + " ".join(lines))
        unseen = not_checked_lines(spec)
        if unseen:
            st.caption("The camera cannot check this; watch it yourself: " + " ".join(unseen))


def _processor(spec: ExerciseSpec, side: SideChoice) -> LiveProcessor | None:
    """This browser session's processor, created once and reset when the exercise changes."""
    proc: LiveProcessor | None = st.session_state.get(PROCESSOR_KEY)
    if proc is None:
        model_path, problem = model_path_or_none()
        if model_path is None:
            st.error(problem)
            return None
        proc = LiveProcessor(
            spec, live_backend(str(model_path)), side=side, model_name=model_path.name
        )
        st.session_state[PROCESSOR_KEY] = proc
    elif proc.spec.id != spec.id or proc.side != side:
        proc.reset(spec, side)
    return proc


@dataclass
class _Recording:
    """A set's video: recording, or closed with the ended set it belongs to (``summary``)."""

    recorder: FrameRecorder
    summary: LiveSummary | None = None


def _record_switch() -> bool:
    """The recording switch, off by default, shown only with a patient chosen.

    Each patient has a switch of their own: one patient's choice never records another.
    """
    patient = patient_ui.current()
    if patient is None:
        st.caption(
            "To record a video of your set, choose your profile in the sidebar first: "
            "the video is kept with your history."
        )
        return False
    words = (
        "The camera video of this set is saved on this computer only. It is listed with the set "
        "in your history and deleted with it."
    )
    on = st.toggle(
        "Record my video of this set", value=False, key=f"{RECORD_KEY}_{patient.id}", help=words
    )
    if on:
        st.caption(words)
    return on


def _sweep_leftovers() -> None:
    """Remove videos a crashed or stopped app left unfinished, once per browser session."""
    if st.session_state.get(SWEPT_KEY):
        return
    st.session_state[SWEPT_KEY] = True
    with contextlib.suppress(OSError):  # an unreadable folder holds nothing of ours to remove
        remove_leftovers()


def _drop_recording() -> None:
    rec: _Recording | None = st.session_state.pop(RECORDING_KEY, None)
    if rec is not None:
        rec.recorder.discard()  # keeps a file a saved set lists


def _new_recorder(patient: Patient) -> FrameRecorder | None:
    """A recorder for ``patient``'s next set, or None (and a warning) when no file can be made."""
    try:
        return FrameRecorder(new_recording_path(patient.id), patient.id)
    except OSError as exc:
        st.warning(f"The video cannot be recorded: {markdown_literal(str(exc))}.")
        return None


def _sync_recording(proc: LiveProcessor, wanted: bool) -> _Recording | None:
    """Start, close or discard the set's video to match the switch and the session.

    Returns:
        The recording of the set under way or on screen, if any.
    """
    rec: _Recording | None = st.session_state.get(RECORDING_KEY)
    patient = patient_ui.current()
    summary = proc.summary()
    if rec is not None and rec.summary is not None and rec.summary is not summary:
        _drop_recording()  # its set has left the page, saved or not
        rec = None
    elif rec is not None and rec.summary is None:
        if proc.frame_sink != rec.recorder.write:
            _drop_recording()  # the session it recorded was reset
            rec = None
        elif summary is not None:
            proc.record_to(None)
            rec.recorder.close()
            rec.summary = summary
        elif not wanted or patient is None or patient.id != rec.recorder.patient_id:
            proc.record_to(None)
            _drop_recording()
            rec = None
    if rec is None and wanted and patient is not None and summary is None:
        if proc.snapshot().frames:
            st.caption("Recording starts with your next set: this one began without it.")
            return None
        recorder = _new_recorder(patient)
        if recorder is None:
            return None
        if not proc.record_to(recorder.write):
            recorder.discard()  # the set's first frame came in meanwhile
            return None
        rec = _Recording(recorder)
        st.session_state[RECORDING_KEY] = rec
    return rec


def _begin_next_set(proc: LiveProcessor, wanted: bool) -> None:
    """START after a finished set: a new session, recorded from its first frame when the switch
    is on. The camera is already sending frames, so the recorder is attached in the same step as
    the reset; attached later, the set's first frame could beat it and the set go unrecorded."""
    _drop_recording()  # the finished set's video, if any: kept when its set was saved
    patient = patient_ui.current()
    recorder = _new_recorder(patient) if wanted and patient is not None else None
    proc.reset(sink=recorder.write if recorder is not None else None)
    if recorder is not None:
        st.session_state[RECORDING_KEY] = _Recording(recorder)


def _speak(snap: LiveSnapshot) -> None:
    if not snap.cue_text or not snap.cue_seq:
        return
    html = speech_html(snap.cue_text, snap.cue_seq)
    # The same document stays in place until the next cue, so each cue is spoken once.
    if hasattr(st, "iframe"):
        st.iframe(html, height=1)
    else:  # Streamlit before st.iframe existed
        import streamlit.components.v1 as components

        components.html(html, height=1)


def _live_metrics(spec: ExerciseSpec, snap: LiveSnapshot) -> None:
    if spec.kind == "reps":
        a, b, c = st.columns(3)
        a.metric("Reps", snap.rep_count)
        b.metric("Good reps", snap.good_reps)
        c.metric("Faulty reps", snap.faulty_reps)
        d, e = st.columns(2)
        sets = rep_sets(spec.prescription, snap.rep_count)
        d.metric("Set", sets.label if sets else "-")
        e.metric("Side", SIDE_WORDS.get(snap.side, snap.side))
        if sets:
            st.caption(sets.detail)
    else:
        target = spec.prescription.hold_s
        a, b, c = st.columns(3)
        a.metric("Hold", f"{snap.hold_s:.0f} s")
        b.metric("Holds", len(snap.hold_sides))
        c.metric("Side", SIDE_WORDS.get(snap.side, snap.side))
        if target:
            st.progress(
                min(snap.hold_s / target, 1.0), text=f"Hold {snap.hold_s:.0f} of {target:g} s"
            )
        st.caption(hold_round_text(spec.prescription, holds_by_side(snap.hold_sides)))
        if spec.rom and snap.in_position and not math.isnan(snap.depth):
            # How deep the stretch is now: the patient's own, measured, never a condition.
            st.caption(f"Depth now: {spec.rom.label} {signal_number(spec.rom.signal, snap.depth)}")


def _live_status(spec: ExerciseSpec, snap: LiveSnapshot, playing: bool) -> None:
    if snap.model_problem:
        st.error(f"The pose model could not run: {snap.model_problem}")
        return
    if not playing and snap.status == "waiting":
        st.info("Press START under the video to turn the camera on and begin.")
        return
    if snap.status == "waiting":
        st.info("Waiting for the camera...")
        return
    if snap.status == "paused":
        kept = "count is" if spec.kind == "reps" else "holds are"
        st.info(
            f"The camera is off and your {kept} kept. Press START to carry on, "
            "or finish the session to see your summary."
        )
        return
    if not snap.assessable and snap.why_not:
        st.warning(f"Not checking yet: {snap.why_not}")
    if snap.cue_text and snap.cue_key != snap.reason:
        show = {"error": st.error, "warning": st.warning}.get(snap.cue_severity or "", st.info)
        show(snap.cue_text)
    elif snap.assessable:
        st.success("Looking good - keep going.")
    if snap.too_slow_to_count and spec.kind == "reps":
        st.warning(
            f"This computer is checking only {snap.fps:.0f} frames a second, too few to be sure "
            "of every rep. Close other programs or browser tabs; until then, move slowly and "
            "pause at the start of each rep."
        )
    if snap.failed_frames:
        st.warning(
            f"formcheck could not check {snap.failed_frames} frame(s) because of an error of its "
            "own, so a rep or hold during them may be missing. The app's log says what went "
            "wrong; please report it."
        )
    # The analysed rate against the camera's: support can tell a slow computer from a slow camera.
    of_camera = f" of {snap.camera_fps:.0f}" if snap.camera_fps >= 1 else ""
    details = [f"checking {snap.fps:.0f}{of_camera} frames a second"]
    if not math.isnan(snap.key_value):
        value = signal_number(spec.key_signal, snap.key_value)
        details.insert(0, f"{signal_label(spec.key_signal)}: {value}")
    st.caption("; ".join(details))


def _live_panel(proc: LiveProcessor, spec: ExerciseSpec, speak: bool, playing: bool) -> None:
    # Rerun just this panel on a timer while the camera plays; when it does not, nothing changes
    # and the timer is off.
    @st.fragment(run_every=REFRESH_S if playing else None)
    def panel() -> None:
        snap = proc.snapshot()
        _live_metrics(spec, snap)
        _live_status(spec, snap, playing)
        if speak:
            _speak(snap)

    panel()


def _summary(spec: ExerciseSpec, summary: LiveSummary, failed_frames: int = 0) -> None:
    result = summary.result
    if summary.stopped_for_pain:
        st.error(
            "You stopped because it hurt, and the session has ended. Rest now. Tell your "
            "physiotherapist about it before you do this exercise again."
        )
    else:
        st.success(f"Session finished after {summary.duration_s:.0f} s.")
    if failed_frames:
        st.warning(
            f"{failed_frames} frame(s) of this set could not be checked because of an error in "
            "formcheck; the counts may miss what happened during them."
        )
    if spec.kind == "reps":
        good = sum(1 for r in result.reps if r.good)
        a, b, c = st.columns(3)
        a.metric("Reps", len(result.reps))
        b.metric("Good reps", good)
        c.metric("Faulty reps", len(result.reps) - good)
    else:
        a, b = st.columns(2)
        a.metric("Holds", len(result.holds))
        longest = max((h.duration_s for h in result.holds), default=0.0)
        b.metric("Longest hold", f"{longest:.0f} s")
        for side, count in sorted(holds_by_side(h.side for h in result.holds).items()):
            st.caption(f"{SIDE_WORDS.get(side, side)} side: {count} hold(s)")
    messages: dict[str, tuple[str, int]] = {}
    for fault in result.faults:
        text, n = messages.get(fault.rule, (fault.message, 0))
        messages[fault.rule] = (text, n + 1)
    if messages:
        st.markdown("**To work on next time**")
        st.markdown("\n".join(f"- {text} ({n}x)" for text, n in messages.values()))
    st.download_button(
        "Download session report (JSON)",
        json.dumps(summary.report, indent=2),
        f"{spec.id}_session.json",
        "application/json",
        on_click="ignore",
    )


def _stop_for_pain(proc: LiveProcessor) -> None:
    proc.stop_for_pain()


def _new_session(proc: LiveProcessor) -> None:
    proc.reset()


def _finish(proc: LiveProcessor) -> None:
    proc.finish()


def render() -> None:
    """Draw the Practice page."""
    st.title("Practice")
    specs = specs_or_stop()
    ids = list(specs)
    wanted = st.query_params.get("exercise")
    left, right = st.columns(2)
    with left:
        exercise = st.selectbox(
            "Exercise",
            ids,
            index=ids.index(wanted) if wanted in ids else 0,
            format_func=lambda i: specs[i].title,
            key="practice_exercise",
        )
    spec = specs[exercise]
    side: SideChoice = "auto"
    if spec.sides != "none":
        with right:
            side = st.selectbox("Working side", SIDE_CHOICES, key="practice_side") or "auto"
    _setup_card(spec)
    proc = _processor(spec, side)
    if proc is None:
        return
    _sweep_leftovers()

    video_col, panel_col = st.columns([3, 2], gap="large")
    with panel_col:
        # on_click runs before the next script run, so that run already turns the camera off.
        st.button(
            "Stop - this hurts",
            type="primary",
            icon=":material/front_hand:",
            on_click=_stop_for_pain,
            args=(proc,),
            disabled=proc.status in ENDED,
            width="stretch",
            key="practice_pain",
        )
        speak = st.toggle("Speak cues aloud", value=True, key="practice_speak")
        record = _record_switch()
    with video_col:
        try:
            playing = webrtc.start_camera_stream(
                "practice-camera",
                proc.process_newest,
                desired_playing=False if proc.status == "stopped_for_pain" else None,
                on_ended=proc.pause,
            )
        except ValueError as exc:  # a malformed $FORMCHECK_ICE_SERVERS
            st.error(f"The camera connection is misconfigured: {exc}")
            return
        privacy = st.empty()  # filled once it is known whether this set is being recorded

    # Act on the stream's edges, not its level: while START is still connecting the stream is
    # not "playing" yet, and that must not pause a session. START after a finished session begins
    # a new one; STOP (or a lost connection) pauses the one under way (streamlit-webrtc reports
    # the stream's end too, through on_ended, when this page does not run again).
    was_playing = st.session_state.get(WAS_PLAYING_KEY, False)
    st.session_state[WAS_PLAYING_KEY] = playing
    if playing and not was_playing and proc.status == "finished":
        _begin_next_set(proc, record)
    elif was_playing and not playing:
        proc.pause()

    with panel_col:
        rec = _sync_recording(proc, record)
    if rec is not None and rec.summary is None:
        privacy.caption("The video is analysed and recorded on this computer; it is sent nowhere.")
    else:
        privacy.caption(
            "The video is analysed on this computer and is not recorded or sent anywhere."
        )
    with panel_col:
        summary = proc.summary()
        if proc.status in ENDED and summary is not None:
            _summary(spec, summary, proc.snapshot().failed_frames)
            video = rec.recorder if rec is not None and rec.summary is summary else None
            history_hooks.practice_set_ended(spec, summary, video)  # saved once, when it ends
            if video is not None and video.error is not None:
                st.warning(
                    f"The video of this set could not be recorded: {markdown_literal(video.error)}."
                )
            st.button(
                "Start a new session", on_click=_new_session, args=(proc,), key="practice_new"
            )
        else:
            _live_panel(proc, spec, speak, playing)
            if proc.status == "paused" and not playing:
                st.button("Finish session", on_click=_finish, args=(proc,), key="practice_finish")
