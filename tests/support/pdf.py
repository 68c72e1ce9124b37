"""Reading PDFs back with poppler's tools (or skipping the test where they are missing)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def poppler(tool: str) -> str:
    """The path of poppler's ``tool``; the test is skipped where it is not installed."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    return path


def jpeg_images(pdf: Path) -> int:
    """How many JPEG pictures (the still frames; the plots are PNG) the PDF holds."""
    listing = subprocess.run(
        [poppler("pdfimages"), "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    return sum(" jpeg " in line for line in listing.splitlines()[2:])
