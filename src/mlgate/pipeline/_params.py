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


def param_files(stage: Stage) -> list[str]:
    """The parameter files ``stage`` reads, in the order it lists them."""
    files: list[str] = []
    for entry in stage.params:
        files.extend([entry] if isinstance(entry, str) else entry)
    return list(dict.fromkeys(files))


def _load(root: str, name: str, file: str) -> dict[str, Any]:
    problem = check_relative_path(file)
    if problem:
        raise PipelineError(f"stage '{name}' params: {problem}")
    path = os.path.join(root, file)
    cached = _cached(root, file)
    if cached is not None:
        return cached
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
    _remember(root, file, data)
    return data


# Parsed YAML parameter files are cached in .mlgate/, keyed by the file's stat, so that
# `mlgate run` with nothing to do does not import PyYAML. Only data that comes back
# from msgpack unchanged is cached: parameter values feed the stage key.


def _cache_file(root: str, file: str) -> str:
    from mlgate.store import hash_bytes

    return os.path.join(root, ".mlgate", "params-cache", hash_bytes(file.encode())[:24])


def _stat_key(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _cached(root: str, file: str) -> dict[str, Any] | None:
    if not file.endswith((".yaml", ".yml")):
        return None
    import msgspec

    key = _stat_key(os.path.join(root, file))
    try:
        with open(_cache_file(root, file), "rb") as fh:
            entry = msgspec.msgpack.decode(fh.read())
    except (OSError, msgspec.DecodeError):
        return None
    if key is None or not isinstance(entry, list) or len(entry) != 2 or entry[0] != key:
        return None
    data = entry[1]
    return data if isinstance(data, dict) else None


def _remember(root: str, file: str, data: dict[str, Any]) -> None:
    import time

    import msgspec

    from mlgate._errors import MlgateError
    from mlgate._fs import atomic_write

    key = _stat_key(os.path.join(root, file))
    if not file.endswith((".yaml", ".yml")) or key is None:
        return
    if key[2] > time.time_ns() - 20_000_000:  # racy: an edit within this tick would not show
        return
    try:
        encoded = msgspec.msgpack.encode([key, data])
        if msgspec.msgpack.decode(encoded)[1] != data:
            return  # e.g. YAML dates: they would come back as something else
        target = _cache_file(root, file)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        atomic_write(target, encoded)
    except (TypeError, ValueError, OSError, MlgateError):
        pass  # only a missed shortcut


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
