"""The one error the history store raises: a message fit for a single line on stderr."""

from __future__ import annotations


class HistoryError(Exception):
    """The history database cannot do what was asked; the message says why in one line."""
