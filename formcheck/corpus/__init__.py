"""Labelled real clips: the manifest, cached landmarks, per-clip scores and corpus totals.

``formcheck evaluate DIR`` uses this package when DIR holds a ``manifest.json``: the same command
a clinic runs on its own labelled clips to see how far to trust formcheck.
"""
