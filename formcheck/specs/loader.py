"""Finding, reading and validating exercise specs (YAML files in ``exercise_specs/``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from formcheck.signals.catalog import SIDE_DETECTORS, SIGNALS
from formcheck.specs.schema import ExerciseSpec


class SpecError(Exception):
    """An invalid or missing spec; the message names the file, the key and the reason."""


def specs_dir() -> Path:
    """``$FORMCHECK_SPECS_DIR`` or the ``exercise_specs/`` folder beside the package."""
    env = os.environ.get("FORMCHECK_SPECS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "exercise_specs"


def format_validation(path: Path, err: ValidationError, kind: str = "spec") -> str:
    """One ``file: key: reason`` entry per pydantic error, joined; ``kind`` names the format."""
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        reason = e["msg"]
        if e["type"] == "extra_forbidden":
            reason = f"unknown key (not part of the {kind} format)"
        lines.append(f"{path.name}: {key}: {reason}")
    return "; ".join(lines)


def read_yaml_mapping(
    path: Path, kind: str = "spec", error: type[Exception] = SpecError
) -> dict[str, Any]:
    """The YAML mapping in ``path``, or ``error`` with one line saying what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise error(f"{path.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
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
    if not isinstance(base_id, str) or base_id in seen or base_id == path.stem:
        raise SpecError(f"{path.name}: based_on: {base_id!r} is not a usable spec id (a cycle?)")
    base_path = path.with_name(f"{base_id}.yaml")
    if not base_path.exists():
        raise SpecError(f"{path.name}: based_on: no spec {base_id!r} in {path.parent}")
    base = _resolve_base(base_path, read_yaml_mapping(base_path), (*seen, path.stem))
    base.pop("source", None)  # the base's own provenance is not this spec's
    return _merge(base, data)


def load_spec_file(path: Path) -> ExerciseSpec:
    """Read and validate one spec file, raising :class:`SpecError` with file, key and reason."""
    data = _resolve_base(path, read_yaml_mapping(path))
    try:
        spec = ExerciseSpec.model_validate(data)
    except ValidationError as exc:
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


def load_all_specs(folder: Path | None = None) -> dict[str, ExerciseSpec]:
    """Every spec in ``folder`` (default :func:`specs_dir`), by id, sorted."""
    folder = folder or specs_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise SpecError(f"no exercise specs found in {folder}")
    return {s.id: s for s in (load_spec_file(f) for f in files)}


def load_spec(exercise_id: str, folder: Path | None = None) -> ExerciseSpec:
    """The spec with this id, or :class:`SpecError` listing the known ids."""
    folder = folder or specs_dir()
    path = folder / f"{exercise_id}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
        raise SpecError(f"unknown exercise {exercise_id!r}; known exercises: {known}")
    return load_spec_file(path)
