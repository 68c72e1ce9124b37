"""Turn the two BlazePose TFLite graphs into a MediaPipe ``pose_landmarker_full.task`` bundle.

This is a standalone script. ``formcheck.pose.model_store`` runs it with the interpreter of a
throwaway builder venv that holds only the ``mediapipe==0.10.21`` package (installed without its
dependencies) and ``flatbuffers``; it must not import anything from ``formcheck``.

The Tasks API refuses bare TFLite graphs: each graph needs TFLite metadata that describes how the
input image is normalised. The script therefore

1. attaches metadata to each graph with the metadata writer that mediapipe 0.10.21 ships (image
   input with ``NormalizationOptions``, plus one plain feature entry per output tensor), and
2. stores both graphs, uncompressed and 4-byte aligned, in a zip archive under the member names
   the pose landmarker graph looks for.

Only the metadata tooling of mediapipe is needed. Importing ``mediapipe`` normally would execute
its package ``__init__`` modules, which load the native framework and want numpy, OpenCV,
protobuf and more. To keep the builder venv small, the script registers bare package objects for
``mediapipe``, ``mediapipe.tasks`` and ``mediapipe.tasks.python`` so that the metadata modules are
imported straight from disk.

Usage::

    python _build_task.py --detector pose_detection.tflite \
        --landmarks pose_landmark_full.tflite --output pose_landmarker_full.task
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"

# Every archive entry gets the same timestamp so that rebuilds give identical archives on one
# platform (the zip format cannot represent dates before 1980).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# The detector expects pixels scaled to [-1, 1]; the landmark model expects [0, 1].
_DETECTOR_NORM = (127.5, 127.5)
_LANDMARKS_NORM = (0.0, 255.0)


def _register_bare_packages() -> None:
    """Make mediapipe's metadata modules importable without running its package ``__init__``.

    Raises:
        SystemExit: If the ``mediapipe`` package is not installed in this interpreter.
    """
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the mediapipe package is not installed in this interpreter")
    root = Path(next(iter(spec.submodule_search_locations)))
    packages = {
        "mediapipe": root,
        "mediapipe.tasks": root / "tasks",
        "mediapipe.tasks.python": root / "tasks" / "python",
    }
    for dotted_name, folder in packages.items():
        package = types.ModuleType(dotted_name)
        package.__path__ = [str(folder)]
        sys.modules[dotted_name] = package


def _with_metadata(model: bytes, name: str, description: str, mean: float, std: float) -> bytes:
    """Return a copy of a TFLite graph with Tasks-API metadata attached.

    Args:
        model: The raw TFLite flatbuffer.
        name: Model name recorded in the general metadata.
        description: Short description recorded in the general metadata.
        mean: Value subtracted from every input pixel channel.
        std: Value every input pixel channel is divided by after the mean is subtracted.

    Returns:
        The TFLite flatbuffer with a metadata buffer populated.
    """
    from mediapipe.tasks.python.metadata.metadata_writers import (
        metadata_writer,
        writer_utils,
    )

    writer: Any = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, description)
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in writer_utils.get_output_tensor_names(bytearray(model)):
        writer.add_feature_output()
    populated, _metadata_json = writer.populate()
    return bytes(populated)


def build_task(detector: Path, landmarks: Path, output: Path) -> None:
    """Write the ``.task`` bundle made from the detector and the landmark graphs.

    Args:
        detector: Path of ``pose_detection.tflite``.
        landmarks: Path of ``pose_landmark_full.tflite``.
        output: Path of the bundle to write; it is overwritten if present.
    """
    _register_bare_packages()
    from mediapipe.tasks.python.metadata.metadata_writers import (
        model_asset_bundle_utils,
    )

    members = {
        DETECTOR_MEMBER: _with_metadata(
            detector.read_bytes(),
            "BlazePose detector",
            "Finds people and the alignment keypoints of their pose.",
            *_DETECTOR_NORM,
        ),
        LANDMARKS_MEMBER: _with_metadata(
            landmarks.read_bytes(),
            "BlazePose GHUM 3D full",
            "Predicts 33 body landmarks inside a person crop.",
            *_LANDMARKS_NORM,
        ),
    }
    # AlignZipFile only accepts stored entries and pads headers so every entry starts on a
    # 4-byte boundary, which lets the runtime memory-map the graphs in place.
    with model_asset_bundle_utils.AlignZipFile(output, mode="w", alignment=4) as bundle:
        for member_name, data in members.items():
            entry = zipfile.ZipInfo(member_name, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_STORED
            entry.external_attr = 0o644 << 16
            bundle.writestr(entry, data)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and build the bundle.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns:
        The process exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--detector", type=Path, required=True, help="pose_detection.tflite")
    parser.add_argument("--landmarks", type=Path, required=True, help="pose_landmark_full.tflite")
    parser.add_argument("--output", type=Path, required=True, help="the .task file to write")
    args = parser.parse_args(argv)
    build_task(args.detector, args.landmarks, args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
