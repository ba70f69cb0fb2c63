"""Reading the parameters a stage declares: whole files or selected (dotted) keys."""

from __future__ import annotations

import os
from typing import Any

from mlgate._errors import PipelineError
from mlgate.config import Stage, check_relative_path


def read_params(root: str, name: str, stage: Stage) -> dict[str, object]:
    """The parameter values of stage ``name``, keyed ``file:key``.

    A file listed alone contributes all its top-level keys; ``{file: [keys]}`` selects
    keys, with dots reaching into nested mappings (``train.lr``).

    Raises:
        PipelineError: a file is missing, unreadable or malformed, or a key is absent;
            the message names the stage, the file and the fix.
    """
    values: dict[str, object] = {}
    loaded: dict[str, dict[str, Any]] = {}
    for entry in stage.params:
        selections = {entry: None} if isinstance(entry, str) else entry
        for file, keys in selections.items():
            if file not in loaded:
                loaded[file] = _load(root, name, file)
            data = loaded[file]
            if keys is None:
                values.update({f"{file}:{k}": v for k, v in data.items()})
                continue
            for key in keys:
                values[f"{file}:{key}"] = _lookup(data, key, name, file)
    return values


def _load(root: str, name: str, file: str) -> dict[str, Any]:
    problem = check_relative_path(file)
    if problem:
        raise PipelineError(f"stage '{name}' params: {problem}")
    path = os.path.join(root, file)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise PipelineError(
            f"stage '{name}' reads parameters from '{file}', which does not exist; create it "
            "or fix `params` in mlgate.yaml"
        ) from None
    except OSError as exc:
        raise PipelineError(f"stage '{name}' cannot read '{file}': {exc.strerror}") from None
    data = _parse(raw, file, name)
    if not isinstance(data, dict):
        raise PipelineError(
            f"stage '{name}': '{file}' must hold a mapping of parameter names to values, "
            f"not a {type(data).__name__}"
        )
    return data


def _parse(raw: bytes, file: str, name: str) -> object:
    suffix = os.path.splitext(file)[1].lower()
    try:
        if suffix == ".json":
            import json

            return json.loads(raw)
        if suffix == ".toml":
            import tomllib

            return tomllib.loads(raw.decode())
        if suffix in (".yaml", ".yml"):
            import yaml

            return yaml.load(raw, Loader=yaml.CSafeLoader)
    except Exception as exc:  # each parser has its own error type; all mean "malformed"
        kind = {".json": "JSON", ".toml": "TOML"}.get(suffix, "YAML")
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PipelineError(
            f"stage '{name}': '{file}' is not valid {kind} ({detail}); fix the file"
        ) from None
    raise PipelineError(
        f"stage '{name}': '{file}' has an unknown format; use .yaml, .yml, .json or .toml"
    )


def _lookup(data: dict[str, Any], key: str, name: str, file: str) -> object:
    if key in data:
        return data[key]
    node: object = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise PipelineError(
                f"stage '{name}' selects parameter '{key}' from '{file}', which has no such key; "
                "add it to the file or fix `params` in mlgate.yaml"
            )
        node = node[part]
    return node
