"""formcheck: physiotherapy exercise form checking from a single camera."""

__version__ = "0.1.0"
