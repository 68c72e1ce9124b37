"""Signals: geometry, filters, view detection and the named signal catalogue."""
