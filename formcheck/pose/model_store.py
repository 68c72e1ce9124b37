"""Per-user cache for MediaPipe's ``pose_landmarker_full.task`` model bundle.

mediapipe 1.2.x ships no model file, and ``PoseLandmarker`` needs a ``.task`` bundle: an
uncompressed zip holding ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. The
bundle lives in a per-user cache directory and is never committed to the repository.

:func:`install_model` fills the cache in one of two ways:

1. Download the official bundle from Google's model storage and check it against a pinned
   SHA-256.
2. Build an equivalent bundle locally. The ``mediapipe==0.10.21`` wheel on PyPI still contains
   the BlazePose detector and the full landmark model as bare TFLite graphs. A throwaway builder
   venv (``mediapipe`` 0.10.21 without its dependencies, plus ``flatbuffers`` and ``numpy``) runs
   ``_build_task.py``, which attaches the TFLite metadata the Tasks API requires and writes the
   bundle. Both the extracted graphs and the resulting bundle members are checked against pinned
   SHA-256 values, so a build gives the same model bytes on every machine.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

MODEL_NAME = "pose_landmarker_full.task"
"""File name of the installed bundle."""

MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/pose_landmarker_full/"
    "float16/1/pose_landmarker_full.task"
)
"""Official download location of the bundle."""

MODEL_SHA256: str | None = "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1"
"""SHA-256 of the official bundle (float16, revision 1; 9,398,198 bytes).

Not computed here (Google's storage is unreachable from the build machine). It is the value that
many independent public projects pin for this exact file, often next to the revision-1 URL and
the size 9,398,198 bytes. ``latest`` currently serves revision 1; should Google publish a new
revision, the check fails and :func:`install_model` falls back to the local build. ``None`` would
mean "no trusted hash known": the download is then refused rather than used unverified.
"""

DOWNLOAD_TIMEOUT_S = 10.0
"""Socket timeout for the official download, in seconds."""

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"
BUNDLE_MEMBERS: tuple[str, ...] = (DETECTOR_MEMBER, LANDMARKS_MEMBER)
"""Archive members that the pose landmarker graph loads from the bundle."""

SOURCE_WHEEL_REQUIREMENT = "mediapipe==0.10.21"
"""The newest mediapipe release whose wheel still carries the BlazePose TFLite graphs."""

SOURCE_GRAPHS: dict[str, tuple[str, str]] = {
    DETECTOR_MEMBER: (
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    LANDMARKS_MEMBER: (
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
}
"""Bundle member -> (path inside the source wheel, SHA-256 of that graph)."""

BUILDER_PACKAGES: tuple[str, ...] = ("flatbuffers==25.12.19", "numpy")
"""Packages installed next to the source wheel in the builder venv.

``flatbuffers`` serialises the metadata, so its version is pinned to keep the built bytes equal
to :data:`BUILT_MEMBER_SHA256`. ``numpy`` is only used to read metadata back and does not affect
the output.
"""

BUILT_MEMBER_SHA256: dict[str, str] = {
    DETECTOR_MEMBER: "03e6a6628124723e39a82817ad7e674d43b04ef396a78aed75de32fd16a7a35b",
    LANDMARKS_MEMBER: "3017712b3c035a6880761160d767e38e84e9338d3ba0b04e7ce6c09ce5dca3c7",
}
"""SHA-256 of each member of a locally built bundle (recorded from a verified build)."""

_BUILD_SCRIPT = Path(__file__).with_name("_build_task.py")
_MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
_SUBPROCESS_TIMEOUT_S = 900.0
_TFLITE_FILE_ID = b"TFL3"
_PIP_WITH_PYTHON_OPTION = (22, 3)  # first pip release with the global ``--python`` option


class ModelInstallError(Exception):
    """The pose model is missing, invalid, or could not be installed.

    The message is meant for the user as is: a sentence or two that says what went wrong and
    how to fix it.
    """


def cache_dir() -> Path:
    """Return the directory that holds the installed model.

    Returns:
        ``$FORMCHECK_MODEL_DIR`` if set; otherwise ``$XDG_CACHE_HOME/formcheck/models`` if that
        variable holds an absolute path; otherwise ``~/.cache/formcheck/models``.
    """
    override = os.environ.get("FORMCHECK_MODEL_DIR")
    if override:
        return Path(override).expanduser()
    xdg_cache = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says relative values are invalid and must be ignored.
    if xdg_cache and Path(xdg_cache).is_absolute():
        return Path(xdg_cache) / "formcheck" / "models"
    return Path.home() / ".cache" / "formcheck" / "models"


def default_model_path() -> Path:
    """Return where :func:`install_model` puts the bundle.

    Returns:
        ``cache_dir() / MODEL_NAME``.
    """
    return cache_dir() / MODEL_NAME


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 digest of a file.

    Args:
        path: File to hash.

    Returns:
        The lowercase hex digest.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_bundle(path: Path) -> None:
    """Check that a file is a pose landmarker ``.task`` bundle MediaPipe can load.

    The file must be a readable zip archive holding ``pose_detector.tflite`` and
    ``pose_landmarks_detector.tflite``, both stored uncompressed (MediaPipe maps them straight
    from the file), both starting like a TFLite flatbuffer, and with intact CRCs. Other members
    are allowed.

    Args:
        path: File to check.

    Raises:
        ModelInstallError: If any of the checks fails.
    """
    if not path.is_file():
        raise ModelInstallError(f"The model file {path} does not exist.")
    try:
        with zipfile.ZipFile(path) as bundle:
            entries = {info.filename: info for info in bundle.infolist()}
            missing = [name for name in BUNDLE_MEMBERS if name not in entries]
            if missing:
                raise ModelInstallError(
                    f"{path} is not a pose landmarker bundle: it lacks {' and '.join(missing)}."
                )
            for name in BUNDLE_MEMBERS:
                if entries[name].compress_type != zipfile.ZIP_STORED:
                    raise ModelInstallError(
                        f"{path} holds {name} compressed, but MediaPipe can only load "
                        "uncompressed (stored) bundle members."
                    )
                with bundle.open(entries[name]) as member:
                    header = member.read(8)
                if header[4:8] != _TFLITE_FILE_ID:
                    raise ModelInstallError(f"{path} is damaged: {name} is not a TFLite model.")
            damaged = bundle.testzip()
            if damaged is not None:
                raise ModelInstallError(f"{path} is damaged: the CRC of {damaged} does not match.")
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelInstallError(f"{path} is not a valid .task bundle ({exc}).") from exc


def unusable_model_error(path: Path, reason: str) -> ModelInstallError:
    """The error for a bundle that passed :func:`verify_bundle` but MediaPipe cannot use.

    A zip with the right member names can still hold graphs MediaPipe rejects when it loads
    them (not a flatbuffer) or when it runs them (the members swapped, another model's graphs).

    Args:
        path: The bundle.
        reason: MediaPipe's own message, kept on one line and cut to 160 characters.
    """
    said = " ".join(reason.split()) or "no reason given"
    first = said if len(said) <= 160 else said[:157] + "..."
    return ModelInstallError(
        f"{path} cannot be used as a pose model: MediaPipe says {first!r}. Run `formcheck "
        f"models install --force` and leave out --model, or point --model at a {MODEL_NAME} "
        "bundle."
    )


def resolve_model(model: Path | None = None) -> Path:
    """Return the bundle to load: an explicit one, or the installed one.

    Args:
        model: A bundle chosen by the user (``--model PATH``), or ``None`` for the cached model.

    Returns:
        Path of a bundle that passed :func:`verify_bundle`.

    Raises:
        ModelInstallError: If the chosen file or the cached model is missing or invalid; the
            message names the remedies.
    """
    if model is not None:
        path = model.expanduser()
        if not path.is_file():
            raise ModelInstallError(
                f"The model file {path} given with --model does not exist. Point --model at a "
                f"{MODEL_NAME} bundle, or leave it out to use the installed model."
            )
        verify_bundle(path)
        return path

    path = default_model_path()
    if not path.exists():
        raise ModelInstallError(
            f"No pose model is installed (looked for {path}). Run `formcheck models install` "
            f"to download or build it, or pass --model PATH pointing at an existing "
            f"{MODEL_NAME} file."
        )
    try:
        verify_bundle(path)
    except ModelInstallError as exc:
        raise ModelInstallError(
            f"{exc} Run `formcheck models install --force` to replace it, or pass --model PATH "
            f"pointing at an existing {MODEL_NAME} file."
        ) from exc
    return path


def install_model(
    force: bool = False,
    offline_only: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Make sure a valid bundle is in the cache and return its path.

    Args:
        force: Replace the cached bundle even if it is valid.
        offline_only: Skip the official download and build the bundle locally. The build
            still needs a package index (PyPI or a mirror) that serves the source wheel.
        log: Receives one progress line per step.

    Returns:
        Path of the installed bundle (:func:`default_model_path`).

    Raises:
        ModelInstallError: If neither the download nor the local build worked; the message
            names both remedies and the ``--model PATH`` alternative.
    """
    target = default_model_path()
    if not force and target.exists():
        try:
            verify_bundle(target)
        except ModelInstallError as exc:
            log(f"The cached model is unusable and will be replaced: {exc}")
        else:
            log(f"Pose model already installed at {target}.")
            return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelInstallError(
            f"Cannot create the model directory {target.parent} ({exc.strerror}). Set "
            "FORMCHECK_MODEL_DIR to a writable directory."
        ) from exc

    if offline_only:
        download_problem = "skipped (offline only)"
        log("Skipping the official download (offline only).")
    else:
        try:
            _download_official(target, log)
        except ModelInstallError as exc:
            download_problem = str(exc)
            log(f"Download failed: {exc}.")
        else:
            log(f"Installed the official pose model at {target}.")
            return target

    try:
        _build_from_wheel(target, log)
    except ModelInstallError as exc:
        log(f"Local build failed: {exc}.")
        raise ModelInstallError(
            f"Could not install the pose model (download: {download_problem}; local build: "
            f"{exc}). Allow internet access to {MODEL_URL}, or access to PyPI for the "
            f"{SOURCE_WHEEL_REQUIREMENT} wheel, and run `formcheck models install` again; or "
            f"pass --model PATH pointing at an existing {MODEL_NAME} file."
        ) from exc
    log(f"Installed the locally built pose model at {target}.")
    return target


def _staging_file(target: Path) -> Path:
    """Create an empty hidden file next to ``target`` to write into before the atomic rename."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    # mkstemp makes the file private (0600); a model file has no reason to be.
    os.chmod(name, 0o644)
    return Path(name)


def _publish(source: Path, target: Path) -> None:
    """Copy ``source`` next to ``target`` and atomically rename it into place."""
    staging = _staging_file(target)
    try:
        shutil.copyfile(source, staging)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


def _describe_download_error(exc: BaseException) -> str:
    """Turn a network exception into a short phrase."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _download_official(target: Path, log: Callable[[str], None]) -> None:
    """Download the official bundle, verify it, and move it to ``target``.

    Args:
        target: Final path of the bundle.
        log: Progress sink.

    Raises:
        ModelInstallError: If no hash is pinned, the download fails, or the file does not
            verify. Messages are lowercase fragments for embedding in a larger sentence.
    """
    if MODEL_SHA256 is None:
        log("No pinned SHA-256 is known for the official model file; not downloading it.")
        raise ModelInstallError("refused, since no pinned SHA-256 is known for the official file")
    log(f"Downloading {MODEL_URL}")
    staging = _staging_file(target)
    try:
        digest = hashlib.sha256()
        received = 0
        request = urllib.request.Request(MODEL_URL, headers={"User-Agent": "formcheck"})
        with (
            urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response,
            staging.open("wb") as out,
        ):
            while chunk := response.read(1 << 16):
                received += len(chunk)
                if received > _MAX_DOWNLOAD_BYTES:
                    raise ModelInstallError("the server sent far more data than the model's size")
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != MODEL_SHA256:
            raise ModelInstallError(
                f"the downloaded file's SHA-256 is {actual}, not the pinned {MODEL_SHA256}"
            )
        try:
            verify_bundle(staging)
        except ModelInstallError as exc:
            raise ModelInstallError(f"the downloaded file is unusable: {exc}") from exc
        os.replace(staging, target)
    except (OSError, http.client.HTTPException) as exc:
        raise ModelInstallError(
            f"could not fetch the official file ({_describe_download_error(exc)})"
        ) from exc
    finally:
        staging.unlink(missing_ok=True)


def _main_pip_supports_python_option() -> bool:
    """Tell whether this interpreter has a pip that can install into another interpreter."""
    if importlib.util.find_spec("pip") is None:
        return False
    try:
        version = importlib.metadata.version("pip")
    except importlib.metadata.PackageNotFoundError:
        return False
    match = re.match(r"(\d+)\.(\d+)", version)
    return match is not None and (int(match[1]), int(match[2])) >= _PIP_WITH_PYTHON_OPTION


def _venv_python(venv_dir: Path) -> Path:
    """Return the interpreter inside a venv created by ``python -m venv``."""
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def _summarise_output(text: str) -> str:
    """Pick the most telling line of a failed command's output."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    chosen = (errors or lines or ["no output"])[-1]
    return chosen if len(chosen) <= 300 else chosen[:297] + "..."


def _run(command: Sequence[str | Path], what: str) -> str:
    """Run a command, capturing its output.

    Args:
        command: Program and arguments.
        what: Lowercase phrase naming the step, used in the error message.

    Returns:
        The command's standard output.

    Raises:
        ModelInstallError: If the command cannot start, times out, or exits non-zero.
    """
    try:
        completed = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            timeout=_SUBPROCESS_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelInstallError(f"{what} failed ({exc})") from exc
    if completed.returncode != 0:
        detail = _summarise_output(completed.stderr or completed.stdout)
        raise ModelInstallError(f"{what} failed ({detail})")
    return completed.stdout


def _extract_graphs(wheel: Path, dest: Path) -> dict[str, Path]:
    """Copy the two BlazePose graphs out of the source wheel and check their hashes.

    Args:
        wheel: The downloaded ``mediapipe`` wheel.
        dest: Directory to write the graphs to.

    Returns:
        Bundle member name -> path of the extracted graph.

    Raises:
        ModelInstallError: If the wheel is unreadable, lacks a graph, or a graph differs from
            the pinned bytes.
    """
    extracted: dict[str, Path] = {}
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member, (inner_path, expected) in SOURCE_GRAPHS.items():
                try:
                    data = archive.read(inner_path)
                except KeyError as exc:
                    raise ModelInstallError(f"{wheel.name} does not contain {inner_path}") from exc
                actual = hashlib.sha256(data).hexdigest()
                if actual != expected:
                    raise ModelInstallError(
                        f"{inner_path} in {wheel.name} has SHA-256 {actual}, "
                        f"not the pinned {expected}"
                    )
                path = dest / Path(inner_path).name
                path.write_bytes(data)
                extracted[member] = path
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelInstallError(f"cannot read {wheel.name} ({exc})") from exc
    return extracted


def _check_built_members(bundle: Path) -> None:
    """Compare the members of a freshly built bundle with the pinned build.

    Raises:
        ModelInstallError: If the bundle is invalid or a member differs from the pinned bytes.
    """
    try:
        verify_bundle(bundle)
    except ModelInstallError as exc:
        raise ModelInstallError(f"the built bundle is unusable: {exc}") from exc
    with zipfile.ZipFile(bundle) as archive:
        for member, expected in BUILT_MEMBER_SHA256.items():
            actual = hashlib.sha256(archive.read(member)).hexdigest()
            if actual != expected:
                raise ModelInstallError(
                    f"the built {member} has SHA-256 {actual}, not the pinned {expected} "
                    "(did a builder package change?)"
                )


def _build_from_wheel(target: Path, log: Callable[[str], None]) -> None:
    """Build the bundle from the ``mediapipe==0.10.21`` wheel and move it to ``target``.

    Pip runs as ``sys.executable -m pip`` when that pip is recent enough, so the machine's pip
    configuration (index URLs, find-links, proxies) applies; otherwise the builder venv's own
    pip is used, which reads the same user and global configuration files.

    Args:
        target: Final path of the bundle.
        log: Progress sink, one line per step.

    Raises:
        ModelInstallError: If any step fails. Messages are lowercase fragments for embedding
            in a larger sentence.
    """
    started = time.monotonic()
    log(f"Building {MODEL_NAME} from the {SOURCE_WHEEL_REQUIREMENT} wheel.")
    use_main_pip = _main_pip_supports_python_option()
    pip_options = ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
    with tempfile.TemporaryDirectory(
        prefix="formcheck-model-build-", ignore_cleanup_errors=True
    ) as temp_name:
        temp = Path(temp_name)
        venv_dir = temp / "venv"
        wheel_dir = temp / "wheel"
        graph_dir = temp / "graphs"
        graph_dir.mkdir()

        log("[1/4] Creating a throwaway builder venv")
        venv_flags = ["--without-pip"] if use_main_pip else []
        _run([sys.executable, "-m", "venv", *venv_flags, venv_dir], "creating the builder venv")
        builder_python = _venv_python(venv_dir)
        if use_main_pip:
            pip: list[str | Path] = [sys.executable, "-m", "pip"]
            pip_into_builder: list[str | Path] = [*pip, "--python", builder_python]
        else:
            pip = [builder_python, "-m", "pip"]
            pip_into_builder = pip

        log(f"[2/4] Fetching the {SOURCE_WHEEL_REQUIREMENT} wheel")
        _run(
            [
                *pip,
                "download",
                *pip_options,
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                wheel_dir,
                SOURCE_WHEEL_REQUIREMENT,
            ],
            f"downloading the {SOURCE_WHEEL_REQUIREMENT} wheel",
        )
        wheels = sorted(wheel_dir.glob("mediapipe-*.whl"))
        if len(wheels) != 1:
            raise ModelInstallError(
                f"pip did not save exactly one {SOURCE_WHEEL_REQUIREMENT} wheel"
            )
        graphs = _extract_graphs(wheels[0], graph_dir)

        extras = ", ".join(BUILDER_PACKAGES)
        log(f"[3/4] Installing {wheels[0].name} (without dependencies), {extras}")
        output = _run(
            [
                *pip_into_builder,
                "install",
                *pip_options,
                "--no-deps",
                wheels[0],
                *BUILDER_PACKAGES,
            ],
            "installing the builder packages",
        )
        installed = [line for line in output.splitlines() if line.startswith("Successfully")]
        if installed:
            log(f"      {installed[-1]}")

        log("[4/4] Adding TFLite metadata and writing the uncompressed bundle")
        built = temp / MODEL_NAME
        _run(
            [
                builder_python,
                "-I",
                _BUILD_SCRIPT,
                "--detector",
                graphs[DETECTOR_MEMBER],
                "--landmarks",
                graphs[LANDMARKS_MEMBER],
                "--output",
                built,
            ],
            "building the bundle",
        )
        _check_built_members(built)
        try:
            _publish(built, target)
        except OSError as exc:
            raise ModelInstallError(f"cannot write {target} ({exc.strerror})") from exc
    log(f"Built and verified the bundle in {time.monotonic() - started:.1f} s.")
