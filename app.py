"""formcheck Streamlit entry: analyse a clip and see its reps, holds and faults.

A thin page over the core: the analysis itself is `formcheck.analyze.run_frames`, the same loop
the command line runs. The live webcam page is the app issue's work.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import streamlit as st

from formcheck.analyze import run_frames
from formcheck.pose.mediapipe_backend import MediaPipePoseBackend
from formcheck.pose.model_store import ModelInstallError, resolve_model
from formcheck.results import RunInfo, to_dict
from formcheck.specs.loader import SpecError, load_all_specs
from formcheck.video import VideoError, iter_frames, probe

MAX_UPLOAD_MB = 200

st.set_page_config(page_title="formcheck", layout="wide")
st.title("formcheck: exercise form review")

try:
    specs = load_all_specs()
except SpecError as exc:
    st.error(f"The exercise specs could not be loaded: {exc}")
    st.stop()

exercise = st.selectbox(
    "Exercise", list(specs), format_func=lambda i: f"{specs[i].title} ({specs[i].kind})"
)
spec = specs[exercise]
st.caption(f"Camera: {spec.camera.setup}  Start: {spec.start_position}")

upload = st.file_uploader("Video clip", type=["mp4", "mov", "webm", "avi", "mkv"])
if upload is not None and st.button("Analyse"):
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"That file is over {MAX_UPLOAD_MB} MB; please trim the clip.")
        st.stop()
    try:
        model = resolve_model()
    except ModelInstallError as exc:
        st.error(str(exc))
        st.stop()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            info = probe(path)
            bar = st.progress(0.0, text="Analysing...")
            total = max(info.duration_s, 0.1)

            def progress(t_s: float) -> None:
                bar.progress(min(1.0, t_s / total), text=f"Analysing... {t_s:.1f} s")

            with MediaPipePoseBackend(model) as backend:
                analysis = run_frames(spec, iter_frames(path), backend, progress=progress)
        except VideoError as exc:
            st.error(str(exc))
            st.stop()
    data = to_dict(
        analysis.result, RunInfo(upload.name, info.duration_s, analysis.processing_s, model.name)
    )
    cols = st.columns(4)
    cols[0].metric("Reps", data["reps"]["count"])
    cols[1].metric("Good reps", data["reps"]["good"])
    cols[2].metric("Faulty reps", data["reps"]["faulty"])
    cols[3].metric("Assessable", f"{data['assessable_fraction']:.0%}")
    if data["reps"]["events"]:
        st.subheader("Reps")
        st.table(
            [
                {
                    "rep": r["index"],
                    "start s": r["start_s"],
                    "end s": r["end_s"],
                    "faults": ", ".join(r["faults"]) or "-",
                }
                for r in data["reps"]["events"]
            ]
        )
    if data["holds"]:
        st.subheader("Holds")
        st.table(data["holds"])
    if data["faults"]:
        st.subheader("Faults")
        st.table(data["faults"])
    st.download_button("Download JSON", json.dumps(data, indent=2), file_name="formcheck.json")
