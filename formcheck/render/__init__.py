"""Drawing: the overlay on frames and the annotated video (cv2 lives here)."""
