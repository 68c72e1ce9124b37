"""Pose estimation: provisioning and running MediaPipe's pose landmarker."""
