"""The one place that calls streamlit-webrtc (the seam between the app and the camera stream).

A page that calls ``webrtc_streamer`` cannot run under Streamlit's ``AppTest`` (the component
needs a live server session), so the call lives here alone: the Practice page reaches it through
this module's attribute, and a test swaps :func:`start_camera_stream` for a fake.

Privacy: by default ``iceServers`` is empty, so the browser offers only its local network
addresses and no public STUN/TURN server is contacted. The camera stream goes from the browser to
this Streamlit server (normally the same laptop) and the annotated stream comes back; nothing else
receives it. Using the app from another machine needs a TURN server, configured through
``$FORMCHECK_ICE_SERVERS``; see ``docs/REMOTE.md``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

import av

QueuedFramesCallback = Callable[[list[av.VideoFrame]], Awaitable[list[av.VideoFrame]]]
EndedCallback = Callable[[], None]

# A modest picture: pose estimation gains nothing above 640x480 and every pixel costs encoding
# and decoding time on both sides of the connection. The full frame rate, though: Chromium
# delivers the ideal rate (an ideal of 15 gave 14 frames a second from a 30 fps camera, which
# capped the analysed rate at 12-13), and the model keeps only the newest frame anyway.
# No microphone.
MEDIA_CONSTRAINTS: dict[str, Any] = {
    "video": {
        "width": {"ideal": 640},
        "height": {"ideal": 480},
        "frameRate": {"ideal": 30, "max": 30},
    },
    "audio": False,
}


ICE_SERVERS_ENV = "FORMCHECK_ICE_SERVERS"


def ice_servers() -> list[dict[str, Any]]:
    """The ICE servers for the connection: none, unless ``$FORMCHECK_ICE_SERVERS`` lists some.

    The variable holds a JSON list in the browser's ``RTCIceServer`` format, e.g.
    ``[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]``.

    Raises:
        ValueError: The variable is set but is not such a list.
    """
    raw = os.environ.get(ICE_SERVERS_ENV, "").strip()
    if not raw:
        return []
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"${ICE_SERVERS_ENV} is not valid JSON ({exc.msg})") from None
    if not isinstance(servers, list) or not all(
        isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in servers
    ):
        raise ValueError(
            f"${ICE_SERVERS_ENV} must be a JSON list of objects with a 'urls' entry, "
            f"got {raw[:80]!r}"
        )
    return servers


def live_server() -> bool:
    """Whether this script runs in a real ``streamlit run`` server with browser sessions.

    streamlit-webrtc needs the server's session manager. ``AppTest`` (and bare ``python app.py``)
    run pages without one; AppTest installs a ``MagicMock(spec=Runtime)``, which passes
    ``isinstance`` but not an exact type check.
    """
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def start_camera_stream(
    key: str,
    on_frames: QueuedFramesCallback,
    desired_playing: bool | None = None,
    on_ended: EndedCallback | None = None,
) -> bool:
    """Show the camera component and route its frames through ``on_frames``.

    Args:
        key: Streamlit widget key of the component.
        on_frames: Async callback that receives the frames queued since its last call and
            returns the frames to show (see ``LiveProcessor.process_newest``). It runs on
            streamlit-webrtc's worker thread, not the script thread.
        desired_playing: ``False`` forces the stream off (after "Stop - this hurts"); ``None``
            leaves START/STOP to the user.
        on_ended: Called on streamlit-webrtc's thread when the camera stream ends (STOP, a lost
            connection, a closed tab), even when the page does not run again.

    Returns:
        Whether the stream is playing now (always ``False`` without a live server).
    """
    import streamlit as st
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    if not live_server():
        st.info("The camera needs the app served in a browser: run `streamlit run app.py`.")
        return False

    ctx = webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": ice_servers()},
        media_stream_constraints=MEDIA_CONSTRAINTS,
        queued_video_frames_callback=on_frames,
        on_video_ended=on_ended,
        # Async: frames are queued while the callback is busy, and the callback gets the whole
        # queue at once (it processes only the newest), so the returned video never lags.
        async_processing=True,
        desired_playing_state=desired_playing,
        video_html_attrs={
            "autoPlay": True,
            "controls": False,
            "muted": True,
            "style": {"width": "100%"},
        },
    )
    return bool(ctx.state.playing)
