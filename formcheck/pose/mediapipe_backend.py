"""MediaPipe Tasks PoseLandmarker behind the :class:`PoseBackend` protocol (an edge module).

Only this module imports mediapipe. It runs the landmarker in VIDEO mode, which tracks the person
from frame to frame and needs strictly increasing integer millisecond timestamps; those come from
the frames' own ``t_s``. A lock makes one instance safe to share between the WebRTC callback thread
and the page.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from formcheck.landmarks import NUM_LANDMARKS, PoseFrame


class MediaPipePoseBackend:
    """One person's landmarks per frame from MediaPipe's BlazePose (full) model.

    Args:
        model_path: A ``pose_landmarker_full.task`` bundle (see ``formcheck models install``).
        num_poses: How many people the model looks for; with more than one, the largest person
            (by landmark bounding box) is returned. Keep 1: on a side-view barbell squat, 2 lost
            the pose in 31 of 255 frames and made the knee angle jump, where 1 lost 1 frame
            (VIDEO mode tracks a single person far more steadily).
        min_confidence: Detection, presence and tracking confidence floors.
    """

    def __init__(self, model_path: Path, num_poses: int = 1, min_confidence: float = 0.5) -> None:
        # Imported here so that importing this module is cheap and the core never pulls it in.
        # MediaPipe's C++ logging would otherwise print start-up chatter on every run.
        os.environ.setdefault("GLOG_minloglevel", "2")
        import mediapipe as mp
        from mediapipe.tasks.python import vision

        self._mp = mp
        options = vision.PoseLandmarkerOptions(
            base_options=mp.tasks.BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=min_confidence,
            min_pose_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )
        self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._lock = threading.Lock()
        self._last_ms = -1

    def detect(self, rgb: npt.NDArray[np.uint8], t_s: float) -> PoseFrame | None:
        h, w = rgb.shape[:2]
        image = self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)
        )
        with self._lock:
            # VIDEO mode rejects a timestamp that does not increase; frames that arrive out of
            # order (threads, a looping fake camera) are nudged forward by a millisecond.
            ms = max(round(t_s * 1000), self._last_ms + 1)
            self._last_ms = ms
            result = self._landmarker.detect_for_video(image, ms)
        if not result.pose_landmarks:
            return None
        best = 0
        if len(result.pose_landmarks) > 1:
            areas = []
            for person in result.pose_landmarks:
                xs = [p.x for p in person]
                ys = [p.y for p in person]
                areas.append((max(xs) - min(xs)) * (max(ys) - min(ys)))
            best = int(np.argmax(areas))
        image_lms = result.pose_landmarks[best]
        world_lms = result.pose_world_landmarks[best]
        xy = np.empty((NUM_LANDMARKS, 2))
        world = np.empty((NUM_LANDMARKS, 3))
        vis = np.empty(NUM_LANDMARKS)
        for i, (p, q) in enumerate(zip(image_lms, world_lms, strict=True)):
            xy[i, 0] = p.x * w
            xy[i, 1] = p.y * h
            world[i] = (q.x, q.y, q.z)
            vis[i] = p.visibility if p.visibility is not None else 0.0
        return PoseFrame(t_s, xy, world, vis, (w, h))

    def close(self) -> None:
        with self._lock:
            self._landmarker.close()

    def __enter__(self) -> MediaPipePoseBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
