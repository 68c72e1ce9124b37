"""MediaPipe Tasks PoseLandmarker behind the :class:`PoseBackend` protocol (an edge module).

Only this module imports mediapipe. Frames go to a landmarker in VIDEO mode, which tracks the person
from frame to frame and needs strictly increasing integer millisecond timestamps; those come from
the frames' own ``t_s``. A lock makes one instance safe to share between the WebRTC callback thread
and the page.

One person or several: a single-person landmarker tracks far more steadily (on a side-view barbell
squat, asking for two people lost the pose in 31 of 255 frames and made the knee angle jump; one
person lost 1 frame). So the single-person landmarker is used unless a periodic people count (an
IMAGE-mode call every ``scan_every_s``) finds a second person. Then a two-person landmarker takes
over and :class:`ActivePersonSelector` follows whoever is exercising, until the scans see one
person again. The count runs on a thread of its own, beside the tracking (it is a whole second
model call, about 6% of the tracker's time if done in line), and its answer is taken exactly
``_SCAN_APPLIED_AFTER_FRAMES`` frames later, waiting for it if need be, so a clip gives the same
result however the two threads happen to be scheduled.

Back curve: the landmarks have no points along the spine, so the landmarkers also return the
person segmentation mask and ``measure_back_curve`` reads the back's outline from the followed
person's mask into ``PoseFrame.extras`` (``back_bow`` and friends). Cost at 640x480 on 2 cores:
the mask about +1.4 ms a frame on a quiet machine (+1.7-2 ms under load) on top of 17-19 ms, the
measurement 0.15 ms (0.5 ms interleaved with the model under load). The mask does not change
the landmarks (checked: identical arrays with and without it).

A bundle MediaPipe refuses, when the landmarkers are created or when they first run, raises
:class:`~formcheck.pose.model_store.ModelInstallError` naming the file, never MediaPipe's own
traceback.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import NUM_LANDMARKS, PoseFrame
from formcheck.pose.model_store import unusable_model_error
from formcheck.pose.selection import ActivePersonSelector
from formcheck.signals.back_curve import FacingVote, measure_back_curve

# Two scans in a row with a single person switch back to the steadier single-person landmarker.
_SINGLE_AFTER_SCANS = 2
# A people count started at one frame decides from this many frames later: long enough for the
# count (~25-30 ms) to finish beside the tracker (~17 ms a frame), so the tracker rarely waits,
# and short enough (0.1 s at 30 fps) that a second person is followed as soon as before.
_SCAN_APPLIED_AFTER_FRAMES = 3


# A timestamp this far behind the last one starts a new stream (a new live session restarting
# its clock at 0, or the next clip) rather than being a late frame of the current one.
_NEW_STREAM_BACK_S = 0.5


class _VideoLandmarker:
    """One VIDEO-mode landmarker with its own strictly increasing millisecond clock."""

    def __init__(self, factory: Any, num_poses: int) -> None:
        self._landmarker = factory(num_poses)
        self._last_ms = -1
        self._offset_ms = 0

    def clock_ms(self, t_s: float) -> int:
        """The landmarker's timestamp for a frame at ``t_s``: strictly increasing, spacing kept."""
        ms = round(t_s * 1000) + self._offset_ms
        if ms <= self._last_ms - _NEW_STREAM_BACK_S * 1000:
            # A new stream: continue the landmarker's clock one nominal frame later.
            self._offset_ms += self._last_ms + 33 - ms
            ms = self._last_ms + 33
        # VIDEO mode rejects a timestamp that does not increase; a slightly late frame (threads,
        # rounding) is nudged forward by a millisecond.
        ms = max(ms, self._last_ms + 1)
        self._last_ms = ms
        return ms

    def detect(self, mp: Any, image: Any, t_s: float) -> Any:
        return self._landmarker.detect_for_video(image, self.clock_ms(t_s))

    def close(self) -> None:
        _close_quietly(self._landmarker)


class MediaPipePoseBackend:
    """One person's landmarks per frame from MediaPipe's BlazePose (full) model.

    Args:
        model_path: A ``pose_landmarker_full.task`` bundle (see ``formcheck models install``).
        min_confidence: Detection, presence and tracking confidence floors.
        scan_every_s: How often to count the people in view; 0 turns multi-person handling off.
        back_curve: Ask for the segmentation mask and measure the back's outline into
            ``PoseFrame.extras`` (names in ``formcheck.signals.back_curve.EXTRA_NAMES``).
        segmentation_masks: Ask for the mask even when the outline is not read (``None``: as
            ``back_curve``); ``formcheck bench`` times the model with the outputs an exercise
            needs this way.
        model_buffer: The bundle's bytes, already read (a batch worker keeps them); the model
            is then not read from ``model_path``, which only names it in messages.
    """

    def __init__(
        self,
        model_path: Path,
        min_confidence: float = 0.5,
        scan_every_s: float = 1.5,
        back_curve: bool = True,
        segmentation_masks: bool | None = None,
        model_buffer: bytes | None = None,
    ) -> None:
        # Imported here so that importing this module is cheap and the core never pulls it in.
        # MediaPipe's C++ logging would otherwise print start-up chatter on every run.
        os.environ.setdefault("GLOG_minloglevel", "2")
        import mediapipe as mp
        from mediapipe.tasks.python import vision

        self._mp = mp

        masks = back_curve if segmentation_masks is None else segmentation_masks
        base_options = (
            mp.tasks.BaseOptions(model_asset_buffer=model_buffer)
            if model_buffer is not None
            else mp.tasks.BaseOptions(model_asset_path=str(model_path))
        )

        def options(num_poses: int, mode: Any, masks: bool = False) -> Any:
            return vision.PoseLandmarkerOptions(
                base_options=base_options,
                running_mode=mode,
                num_poses=num_poses,
                min_pose_detection_confidence=min_confidence,
                min_pose_presence_confidence=min_confidence,
                min_tracking_confidence=min_confidence,
                output_segmentation_masks=masks,
            )

        def video_factory(num_poses: int) -> Any:
            return vision.PoseLandmarker.create_from_options(
                options(num_poses, vision.RunningMode.VIDEO, masks=masks)
            )

        self._model_path = model_path
        self._video_factory = video_factory
        self._multi: _VideoLandmarker | None = None
        self._scanner: Any = None
        try:
            self._single = _VideoLandmarker(video_factory, 1)
            if scan_every_s > 0:
                self._scanner = vision.PoseLandmarker.create_from_options(
                    options(3, vision.RunningMode.IMAGE)
                )
        except (RuntimeError, ValueError) as exc:  # a file MediaPipe cannot load as a model
            if hasattr(self, "_single"):
                self._single.close()
            raise unusable_model_error(model_path, str(exc)) from None
        self._scan_every_s = scan_every_s
        self._next_scan_s = 0.0
        self._scan_pool: ThreadPoolExecutor | None = None
        self._pending_scan: Future[int] | None = None
        self._frames_since_scan = 0
        self._single_scans = 0
        self._multi_mode = False
        self._selector = ActivePersonSelector()
        self._back_curve = back_curve
        self._facing = FacingVote()
        self._lock = threading.Lock()

    def detect(self, rgb: npt.NDArray[np.uint8], t_s: float) -> PoseFrame | None:
        """The followed person's landmarks in ``rgb`` at ``t_s``, or None when nobody is found
        (:meth:`PoseBackend.detect`)."""
        h, w = rgb.shape[:2]
        image = self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)
        )
        with self._lock:
            try:
                self._maybe_scan(image, t_s)
                if self._multi_mode:
                    if self._multi is None:
                        self._multi = _VideoLandmarker(self._video_factory, 2)
                    result = self._multi.detect(self._mp, image, t_s)
                else:
                    result = self._single.detect(self._mp, image, t_s)
            except RuntimeError as exc:  # the graph failed: e.g. a bundle with swapped members
                raise unusable_model_error(self._model_path, str(exc)) from None
            if not result.pose_landmarks:
                return None
            people = [_image_xy(p, w, h) for p in result.pose_landmarks]
            chosen = self._selector.select(t_s, people)
            if chosen is None:
                return None
            extras = (
                self._measure_back(result, chosen, people[chosen], t_s) if self._back_curve else {}
            )
        world = np.array([(q.x, q.y, q.z) for q in result.pose_world_landmarks[chosen]])
        vis = np.array(
            [
                p.visibility if p.visibility is not None else 0.0
                for p in result.pose_landmarks[chosen]
            ]
        )
        return PoseFrame(t_s, people[chosen], world, vis, (w, h), extras)

    def _measure_back(
        self, result: Any, chosen: int, xy_px: npt.NDArray[np.float64], t_s: float
    ) -> dict[str, float]:
        """The back-curve extras from the followed person's mask (masks come in pose order)."""
        facing = self._facing.update(t_s, xy_px)
        masks = result.segmentation_masks
        if not masks or chosen >= len(masks):
            return {}
        return measure_back_curve(masks[chosen].numpy_view(), xy_px, facing=facing).extras()

    def _maybe_scan(self, image: Any, t_s: float) -> None:
        """Take a finished people count's answer when it is due, and start the next when due."""
        if self._scanner is None:
            return
        if self._pending_scan is not None:
            self._frames_since_scan += 1
            if self._frames_since_scan >= _SCAN_APPLIED_AFTER_FRAMES:
                count = self._pending_scan.result()  # re-raises a failure of the model
                self._pending_scan = None
                self._apply_scan(count)
        if self._pending_scan is not None or t_s < self._next_scan_s:
            return
        self._next_scan_s = t_s + self._scan_every_s
        if self._scan_pool is None:
            # The first count decides how the stream is tracked from its first frame, so it is
            # waited for; only the later ones run beside the tracking.
            self._scan_pool = ThreadPoolExecutor(1, thread_name_prefix="formcheck-people-count")
            self._apply_scan(self._count_people(image))
            return
        self._pending_scan = self._scan_pool.submit(self._count_people, image)
        self._frames_since_scan = 0

    def _count_people(self, image: Any) -> int:
        return len(self._scanner.detect(image).pose_landmarks)

    def _apply_scan(self, count: int) -> None:
        if count >= 2:
            self._multi_mode = True
            self._single_scans = 0
        elif self._multi_mode:
            self._single_scans += 1
            if self._single_scans >= _SINGLE_AFTER_SCANS:
                self._multi_mode = False

    def close(self) -> None:
        """Close every landmarker, once a people count still running has finished."""
        with self._lock:
            if self._scan_pool is not None:
                # A count still running finishes first; the scanner is closed after it.
                self._scan_pool.shutdown(wait=True, cancel_futures=True)
                self._scan_pool = None
                self._pending_scan = None
            self._single.close()
            if self._multi is not None:
                self._multi.close()
            if self._scanner is not None:
                _close_quietly(self._scanner)

    def __enter__(self) -> MediaPipePoseBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close_quietly(landmarker: Any) -> None:
    """Close a landmarker; one whose graph already failed fails again here, which must not hide
    the first error or leave the others open."""
    try:
        landmarker.close()
    except (RuntimeError, ValueError):
        # MediaPipe keeps the handle of a landmarker that failed to close and tries again from
        # __del__, which at interpreter exit prints a TypeError traceback; forget the handle.
        with contextlib.suppress(AttributeError):
            landmarker._handle = None


def _image_xy(landmarks: Any, w: int, h: int) -> npt.NDArray[np.float64]:
    xy = np.empty((NUM_LANDMARKS, 2))
    for i, p in enumerate(landmarks):
        xy[i, 0] = p.x * w
        xy[i, 1] = p.y * h
    return xy
