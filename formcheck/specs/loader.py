"""Finding, reading and validating exercise specs (YAML files in ``exercise_specs/``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from formcheck.signals.catalog import SIDE_DETECTORS, SIGNALS
from formcheck.specs.bounded_yaml import YamlLimitError, read_bounded_yaml
from formcheck.specs.schema import ID_RE, ExerciseSpec

# Two shipped specs use ``based_on``, each one level deep; a longer chain is a mistake, and every
# level is one more file read and merged.
MAX_BASED_ON_DEPTH = 4


def package_data(folder: str) -> Path:
    """A folder of ``formcheck/data`` as installed (a wheel or a checkout, never a zip)."""
    return Path(str(resources.files("formcheck") / "data" / folder))


class SpecError(Exception):
    """An invalid or missing spec; the message names the file, the key and the reason."""


def specs_dir() -> Path:
    """``$FORMCHECK_SPECS_DIR`` or the specs installed with the package (``exercise_specs/`` in
    a checkout is a link to them), so an installed formcheck has its exercises wherever it runs."""
    env = os.environ.get("FORMCHECK_SPECS_DIR")
    if env:
        return Path(env)
    return package_data("exercise_specs")


def _one_line(key: str) -> str:
    """A key as written in the file, quoted when it holds a line break or another control
    character, so that the message stays on one line."""
    return key if key.isprintable() else repr(key)


def format_validation(path: Path, err: ValidationError, kind: str = "spec") -> str:
    """One ``file: key: reason`` entry per pydantic error, joined; ``kind`` names the format."""
    lines = []
    for e in err.errors():
        key = ".".join(_one_line(str(p)) for p in e["loc"]) or "(top level)"
        reason = " ".join(e["msg"].split())
        if e["type"] == "extra_forbidden":
            reason = f"unknown key (not part of the {kind} format)"
        lines.append(f"{path.name}: {key}: {reason}")
    return "; ".join(lines)


def read_yaml_mapping(
    path: Path, kind: str = "spec", error: type[Exception] = SpecError
) -> dict[str, Any]:
    """The YAML mapping in ``path``, or ``error`` with one line saying what is wrong.

    The file is read within the bounds of :mod:`formcheck.specs.bounded_yaml` (size, UTF-8, no
    aliases, nesting depth).
    """
    try:
        data = read_bounded_yaml(path)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    except YamlLimitError as exc:
        raise error(f"{path.name}: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{path.name}: a {kind} must be a mapping of keys to values")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_base(path: Path, data: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Apply ``based_on``: the named spec (same folder) gives every key this file leaves out."""
    base_id = data.get("based_on")
    if base_id is None:
        return data
    if (
        not isinstance(base_id, str)
        or not ID_RE.match(base_id)
        or base_id in seen
        or base_id == path.stem
    ):
        raise SpecError(f"{path.name}: based_on: {base_id!r} is not a usable spec id (a cycle?)")
    if len(seen) + 1 >= MAX_BASED_ON_DEPTH:
        raise SpecError(
            f"{path.name}: based_on: a chain of more than {MAX_BASED_ON_DEPTH} specs "
            "(each based on the next) is not accepted"
        )
    base_path = path.with_name(f"{base_id}.yaml")
    if not base_path.is_file():
        raise SpecError(f"{path.name}: based_on: no spec {base_id!r} in {path.parent}")
    try:
        base = _resolve_base(base_path, read_yaml_mapping(base_path), (*seen, path.stem))
    except SpecError as exc:
        raise SpecError(f"{path.name}: based_on {base_id!r}: {exc}") from None
    base.pop("source", None)  # the base's own provenance is not this spec's
    return _merge(base, data)


def load_spec_file(path: Path) -> ExerciseSpec:
    """Read and validate one spec file, raising :class:`SpecError` with file, key and reason."""
    own = read_yaml_mapping(path)
    data = _resolve_base(path, own)
    try:
        spec = ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        base_id = own.get("based_on")
        if base_id is not None:
            # A fault in the base is the base's: said so, naming its file, not blamed on this one.
            try:
                load_spec_file(path.with_name(f"{base_id}.yaml"))
            except SpecError as base_error:
                raise SpecError(
                    f"{path.name}: based_on {base_id!r}, which is invalid: {base_error}"
                ) from None
        raise SpecError(format_validation(path, exc)) from None
    unknown = sorted(set(spec.signals) - set(SIGNALS))
    if unknown:
        raise SpecError(
            f"{path.name}: signals: unknown signal(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(SIGNALS))}"
        )
    if spec.side_detector is not None and spec.side_detector not in SIDE_DETECTORS:
        raise SpecError(
            f"{path.name}: side_detector: unknown {spec.side_detector!r}; "
            f"known: {', '.join(sorted(SIDE_DETECTORS))}"
        )
    if path.stem != spec.id:
        raise SpecError(f"{path.name}: id: {spec.id!r} must match the file name {path.stem!r}")
    return spec


@dataclass(frozen=True)
class SpecScan:
    """Every spec file of a folder, each loaded on its own."""

    files: list[Path]
    specs: dict[str, ExerciseSpec]  # the valid ones, by id, sorted
    errors: dict[str, SpecError]  # the invalid ones, by file stem (the id the file should have)


def scan_specs(folder: Path | None = None) -> SpecScan:
    """Load each spec in ``folder`` (default :func:`specs_dir`) separately, so one invalid file
    neither hides the others nor is blamed on them; :class:`SpecError` only for no specs at all."""
    folder = folder or specs_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise SpecError(f"no exercise specs found in {folder}")
    specs: dict[str, ExerciseSpec] = {}
    errors: dict[str, SpecError] = {}
    for f in files:
        try:
            spec = load_spec_file(f)
        except SpecError as exc:
            errors[f.stem] = exc
        else:
            specs[spec.id] = spec
    return SpecScan(files, specs, errors)


def load_all_specs(folder: Path | None = None) -> dict[str, ExerciseSpec]:
    """Every spec in ``folder`` (default :func:`specs_dir`), by id, sorted; :class:`SpecError`
    (the first invalid file's) if any is invalid."""
    scan = scan_specs(folder)
    if scan.errors:
        raise next(iter(scan.errors.values()))
    return scan.specs


def load_spec(exercise_id: str, folder: Path | None = None) -> ExerciseSpec:
    """The spec with this id, or :class:`SpecError` listing the known ids."""
    folder = folder or specs_dir()
    path = folder / f"{exercise_id}.yaml"
    # An id is a plain snake_case name: never a path leading out of the folder.
    if not ID_RE.match(exercise_id) or not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
        raise SpecError(f"unknown exercise {exercise_id!r}; known exercises: {known}")
    return load_spec_file(path)
