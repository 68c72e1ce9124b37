"""Exercise engine: readiness, reps, holds and rules over time."""
