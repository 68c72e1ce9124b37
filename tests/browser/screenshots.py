"""Make the README's screenshots (``docs/screenshots/*.png``): ``make screenshots``, or
``python -m tests.browser.screenshots`` from the checkout.

The browser tests that show each page take its picture; run alone here, they save them into
``docs/screenshots`` instead of the throwaway folder they use under ``make test``, so the test
suite never rewrites a tracked file. Needs what the browser tests need (Debian's Chromium,
ffmpeg, Playwright, the pose model, ``../shared/clips``); the tests' own checks still apply, so a
page that is broken makes no picture of it.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.browser.conftest import REPO, SCREENSHOT_DIR_VAR

# The tests that take the pictures, by file and name.
SCREENSHOT_TESTS = [
    "tests/browser/test_browser_practice.py::test_live_squat_counts_three_reps",
    "tests/browser/test_browser_review.py::test_review_upload_shows_reps_table",
    "tests/browser/test_browser_review.py::test_library_lists_every_exercise",
    "tests/browser/test_browser_history.py::"
    "test_two_practised_sets_survive_a_restart_and_reach_the_progress_page_and_the_report",
]


def main() -> int:
    os.environ[SCREENSHOT_DIR_VAR] = str(REPO / "docs" / "screenshots")
    os.chdir(REPO)
    return int(pytest.main(["-q", "-rs", "-p", "no:cacheprovider", *SCREENSHOT_TESTS]))


if __name__ == "__main__":
    sys.exit(main())
