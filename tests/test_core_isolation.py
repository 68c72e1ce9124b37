"""The core never imports cv2, streamlit or mediapipe: checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

from tests.support.core import CORE_MODULES


def test_core_imports_no_edge_libraries():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE_MODULES)
        + "bad = [m for m in ('cv2', 'streamlit', 'mediapipe', 'av') if m in sys.modules]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
