"""Rendered exercise clips with exact truth: an articulated figure, exercise scripts with
injected faults, a pinhole camera and a simple rasteriser (see docs/SYNTH.md)."""
