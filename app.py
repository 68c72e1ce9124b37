"""formcheck's web app: ``streamlit run app.py``.

Four pages: Practice (live camera feedback for the patient), Review (analysis of a recorded clip
for the clinician), Progress (the chosen patient's history and the clinician report) and the
Exercise library. The pages live in ``formcheck/ui``; this file only sets up the window, the
patient chooser in the sidebar and the navigation.
"""

from __future__ import annotations

import streamlit as st

from formcheck.ui import library_page, patient, practice_page, progress_page, review_page, uploads

# An emoji favicon is drawn by the browser; a ":material/...:" one is fetched from Google's servers.
st.set_page_config(page_title="formcheck", page_icon="🧘", layout="wide")

pages = [
    st.Page(
        practice_page.render,
        title="Practice",
        icon=":material/videocam:",
        url_path="practice",
        default=True,
    ),
    st.Page(review_page.render, title="Review", icon=":material/movie:", url_path="review"),
    st.Page(
        progress_page.render,
        title="Progress",
        icon=":material/trending_up:",
        url_path="progress",
    ),
    st.Page(
        library_page.render,
        title="Exercise library",
        icon=":material/menu_book:",
        url_path="library",
    ),
]
# Clips left in the temporary folder by an app that was killed are removed when the next starts.
uploads.sweep_abandoned_once()
# The patient chooser is in the sidebar of every page: the pages that save read it.
patient.sidebar()
st.navigation(pages).run()
