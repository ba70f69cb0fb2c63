"""Reading mlgate.yaml: YAML nodes (for line numbers), then msgspec validation."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from mlgate._errors import ConfigError, MlgateError, NotARepository
from mlgate.config._gates import DeployConfig, MetricGate
from mlgate.config._schema import Config, RemoteConfig, Stage

CONFIG_NAME = "mlgate.yaml"
STATE_DIR = ".mlgate"
LOCK_DIR = "mlgate.lock"

_Key = tuple[str | int, ...]
_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[(['\"])(.*?)\3\]")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Project:
    """A repository that mlgate manages.

    Attributes:
        root: Absolute path of the directory holding mlgate.yaml.
        config: The validated configuration (environment overrides applied).
    """

    root: str
    config: Config

    @property
    def state_dir(self) -> str:
        return os.path.join(self.root, STATE_DIR)

    @property
    def cache_dir(self) -> str:
        return os.path.join(self.root, self.config.cache.dir)

    @property
    def lock_dir(self) -> str:
        return os.path.join(self.root, LOCK_DIR)


def find_root(start: str | None = None) -> str:
    """Return the nearest directory at or above ``start`` that holds mlgate.yaml.

    Raises:
        NotARepository: there is none.
    """
    here = os.path.abspath(start or os.getcwd())
    current = here
    while True:
        if os.path.isfile(os.path.join(current, CONFIG_NAME)):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            raise NotARepository(
                f"no {CONFIG_NAME} in {here} or any parent directory; "
                "run `mlgate init` at the root of your repository first"
            )
        current = parent


def load_project(start: str | None = None) -> Project:
    """Find the repository around ``start`` and load its config.

    The validated config is cached in ``.mlgate/config.cache`` keyed by the stat of
    mlgate.yaml, so most commands never parse YAML at all.
    """
    root = find_root(start)
    path = os.path.join(root, CONFIG_NAME)
    cache = os.path.join(root, STATE_DIR, "config.cache")
    config = _cached_config(path, cache)
    if config is None:
        config = load_config(path, with_env=False)
        _cache_config(path, cache, config)
    return Project(root=root, config=_with_env(config))


class _ConfigCache(msgspec.Struct, array_like=True):
    key: tuple[int, int, int, int]
    config: Config


def _stat_key(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _cached_config(path: str, cache: str) -> Config | None:
    key = _stat_key(path)
    try:
        with open(cache, "rb") as fh:
            entry = msgspec.msgpack.decode(fh.read(), type=_ConfigCache)
    except (OSError, msgspec.DecodeError):
        return None
    return entry.config if key is not None and entry.key == key else None


def _cache_config(path: str, cache: str, config: Config) -> None:
    import time

    key = _stat_key(path)
    # An edit within the same timestamp tick would not change the key ("racy" file).
    if key is None or key[2] > time.time_ns() - 20_000_000:
        return
    try:
        from mlgate._fs import atomic_write

        atomic_write(cache, msgspec.msgpack.encode(_ConfigCache(key, config)))
    except MlgateError:
        pass  # a read-only state directory only costs the YAML parse next time


def load_config(path: str, *, with_env: bool = True) -> Config:
    """Parse and validate a config file.

    Environment overrides: ``MLGATE_REGISTRY`` replaces ``registry`` and
    ``MLGATE_REMOTE`` replaces ``remote``'s URL.

    Raises:
        ConfigError: naming the file, the line and the key, and what was expected.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist; run `mlgate init` to create it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    config = parse_config(text, path)
    return _with_env(config) if with_env else config


def parse_config(text: str, filename: str = CONFIG_NAME) -> Config:
    """Validate config ``text``; ``filename`` only labels error messages."""
    data, lines = _parse_yaml(text, filename)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{filename}:1: the file must be a mapping of keys such as `stages:` and `track:`, "
            f"not a {type(data).__name__}"
        )
    stages = data.get("stages")
    if isinstance(stages, dict):
        # msgspec reports a dict key as `[...]`; validating each stage alone lets the
        # message name it.
        for name, raw in stages.items():
            try:
                msgspec.convert(raw, Stage, strict=True)
            except msgspec.ValidationError as exc:
                raise _validation_error(str(exc), filename, lines, ("stages", str(name))) from None
    gates = data.get("gates")
    metric_gates = gates.get("metrics") if isinstance(gates, dict) else None
    if isinstance(metric_gates, dict):
        for name, raw in metric_gates.items():
            try:
                msgspec.convert(raw, MetricGate, strict=True)
            except msgspec.ValidationError as exc:
                key = ("gates", "metrics", str(name))
                raise _validation_error(str(exc), filename, lines, key) from None
    try:
        config = msgspec.convert(data, Config, strict=True)
    except msgspec.ValidationError as exc:
        raise _validation_error(str(exc), filename, lines) from None
    _check_semantics(config, filename, lines)
    return config


def _with_env(config: Config) -> Config:
    registry = os.environ.get("MLGATE_REGISTRY")
    remote_url = os.environ.get("MLGATE_REMOTE")
    if registry:
        config = msgspec.structs.replace(config, registry=registry)
    if remote_url:
        current = config.remote_config
        remote = (
            msgspec.structs.replace(current, url=remote_url)
            if current
            else RemoteConfig(url=remote_url)
        )
        config = msgspec.structs.replace(config, remote=remote)
    return config


def _parse_yaml(text: str, filename: str) -> tuple[Any, dict[_Key, int]]:
    import yaml  # ~12 ms; skipped when the parsed config is cached

    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        started = ""
        if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            started = f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        raise ConfigError(
            f"{filename}{line}: malformed YAML: {exc.problem or exc.context}{started}; "
            "fix the indentation, brackets or quoting there"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{filename}: malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    lines: dict[_Key, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return data, lines


def _index_lines(node: Any, key: _Key, lines: dict[_Key, int]) -> None:
    import yaml

    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for knode, vnode in node.value:
            child = (*key, str(knode.value))
            _index_lines(vnode, child, lines)
            lines[child] = knode.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*key, i), lines)


def _parse_msgspec_path(path: str) -> _Key:
    key: list[str | int] = []
    path = path.removeprefix("$").split("[...]", 1)[0]  # an unnamed dict key ends what we know
    for name, index, _q, quoted in _PATH_TOKEN.findall(path):
        if name:
            key.append(name)
        elif index:
            key.append(int(index))
        else:
            key.append(quoted)
    return tuple(key)


def _line_of(key: _Key, lines: dict[_Key, int]) -> int | None:
    for end in range(len(key), -1, -1):
        if key[:end] in lines:
            return lines[key[:end]]
    return None


def _dotted(key: _Key) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def _validation_error(
    message: str, filename: str, lines: dict[_Key, int], prefix: _Key = ()
) -> ConfigError:
    text, _, where = message.partition(" - at `")
    key = prefix + (_parse_msgspec_path(where.rstrip("`")) if where else ())
    unknown = re.search(r"unknown field `([^`]*)`", text)
    if unknown:
        key = (*key, unknown.group(1))
        text = f"unknown key `{unknown.group(1)}`; check the spelling (see README, mlgate.yaml)"
    if text.startswith("Invalid enum value"):
        choices = _literal_choices(key)
        if choices:
            text += f"; expected one of: {', '.join(choices)}"
    missing = re.search(r"missing required field `([^`]*)`", text)
    if missing:
        text = f"required key `{missing.group(1)}` is missing"
    line = _line_of(key, lines)
    at = f":{line}" if line is not None else ""
    return ConfigError(f"{filename}{at}: {_dotted(key)}: {text}")


def _literal_choices(key: _Key) -> tuple[str, ...]:
    """The allowed values of the Literal-typed field at ``key`` (error path only)."""
    import typing

    node: Any = Config
    if key[:1] == ("stages",) and len(key) > 2:
        node, key = Stage, key[2:]  # skip the stage's name, a dict key
    elif key[:2] == ("gates", "metrics") and len(key) > 3:
        node, key = MetricGate, key[3:]
    hint: Any = None
    for part in key:
        if isinstance(part, int) or not isinstance(node, type):
            return ()
        hint = node = typing.get_type_hints(node).get(part)
        for arg in typing.get_args(node) or (node,):
            if isinstance(arg, type) and issubclass(arg, msgspec.Struct):
                node = arg
    # A Literal alone, or beside a mapping form (`executor: local | {dask: ...}`).
    args = (hint,) if typing.get_origin(hint) is typing.Literal else typing.get_args(hint)
    choices: list[str] = []
    for arg in args:
        if typing.get_origin(arg) is typing.Literal:
            choices += [str(a) for a in typing.get_args(arg)]
        elif isinstance(arg, type) and issubclass(arg, msgspec.Struct):
            choices.append("{" + ", ".join(f"{f}: ..." for f in arg.__struct_fields__) + "}")
    return tuple(choices)


def _fail(filename: str, lines: dict[_Key, int], key: _Key, text: str) -> ConfigError:
    line = _line_of(key, lines)
    at = f":{line}" if line is not None else ""
    return ConfigError(f"{filename}{at}: {_dotted(key)}: {text}")


def check_relative_path(path: str) -> str | None:
    """Return why ``path`` is not an acceptable repository-relative path, or None."""
    if not path or "\0" in path:
        return "a path must be a non-empty string"
    if os.path.isabs(path) or path.startswith("~"):
        return f"'{path}' is absolute; write it relative to the repository root"
    if ".." in path.replace("\\", "/").split("/"):
        return f"'{path}' contains '..'; paths must stay inside the repository"
    return None


def _check_semantics(config: Config, filename: str, lines: dict[_Key, int]) -> None:
    remote = config.remote_config
    if remote is not None:
        key: _Key = ("remote",) if isinstance(config.remote, str) else ("remote", "url")
        if "://" not in remote.url:
            raise _fail(
                filename,
                lines,
                key,
                f"'{remote.url}' is not a URL; use s3://bucket/prefix, gs://..., az://... "
                "or file:///absolute/dir",
            )
        if remote.jobs < 1:
            raise _fail(filename, lines, ("remote", "jobs"), "must be at least 1")
    cache_problem = check_relative_path(config.cache.dir)
    if cache_problem:
        raise _fail(filename, lines, ("cache", "dir"), cache_problem)
    for i, path in enumerate(config.track):
        problem = check_relative_path(path)
        if problem:
            raise _fail(filename, lines, ("track", i), problem)
    _check_gates(config, filename, lines)
    deploy_problem = _deploy_problem(config.deploy)
    if deploy_problem is not None:
        field, message = deploy_problem
        raise _fail(filename, lines, ("deploy", field), message)
    for name, stage in config.stages.items():
        if not _STAGE_NAME.match(name):
            raise _fail(
                filename,
                lines,
                ("stages", name),
                f"stage name '{name}' may use only letters, digits, '_', '-' and '.'",
            )
        if bool(stage.cmd) == (stage.tune is not None):
            raise _fail(
                filename,
                lines,
                ("stages", name),
                "a stage needs either `cmd` (a command) or `tune` (a study), and not both",
            )
        if stage.tune is not None:
            problem = check_relative_path(stage.tune.output)
            if problem:
                raise _fail(filename, lines, ("stages", name, "tune", "output"), problem)
            if stage.tune.jobs < 1:
                raise _fail(filename, lines, ("stages", name, "tune", "jobs"), "must be >= 1")
        for field in ("deps", "outs", "metrics"):
            for i, path in enumerate(getattr(stage, field)):
                problem = check_relative_path(path)
                if problem:
                    raise _fail(filename, lines, ("stages", name, field, i), problem)


def _check_gates(config: Config, filename: str, lines: dict[_Key, int]) -> None:
    paths: list[tuple[_Key, str | None]] = []
    if config.model is not None:
        paths.append((("model", "path"), config.model.path))
    if config.evaluation is not None:
        paths.append((("evaluation", "data"), config.evaluation.data))
        paths.append((("evaluation", "train_data"), config.evaluation.train_data))
    gates = config.gates
    for i, drift in enumerate(gates.data.drift if gates.data else []):
        paths.append((("gates", "data", "drift", i, "reference"), drift.reference))
    for key, path in paths:
        problem = check_relative_path(path) if path is not None else None
        if problem:
            raise _fail(filename, lines, key, problem)
    if not 0 < gates.alpha < 0.5:
        raise _fail(filename, lines, ("gates", "alpha"), "must lie between 0 and 0.5")
    if gates.resamples < 100:
        raise _fail(filename, lines, ("gates", "resamples"), "must be at least 100")
    for name, gate in gates.metrics.items():
        problem = _metric_gate_problem(gate)
        if problem:
            raise _fail(filename, lines, ("gates", "metrics", name), problem)
    if gates.latency is not None and (gates.latency.batch < 1 or gates.latency.requests < 1):
        raise _fail(filename, lines, ("gates", "latency"), "batch and requests must be >= 1")


def _deploy_problem(deploy: DeployConfig) -> tuple[str, str] | None:
    """(the field, what is wrong with it), or None."""
    steps = deploy.steps
    if any(not 0 < w <= 100 for w in steps) or steps != sorted(set(steps)):
        return "steps", "must be increasing percentages in 1..100, e.g. [10, 50]"
    if deploy.step_seconds <= 0:
        return "step_seconds", "must be more than 0"
    if deploy.min_requests < 1:
        return "min_requests", "must be at least 1"
    if deploy.p99_ms is not None and deploy.p99_ms <= 0:
        return "p99_ms", "must be more than 0"
    shift = deploy.max_prediction_shift
    if shift is not None and not 0 < shift < 1:
        return "max_prediction_shift", "must lie between 0 and 1 (0.1 = ten points of share)"
    return None


def _metric_gate_problem(gate: MetricGate) -> str | None:
    if gate.min is None and gate.max is None and gate.margin is None and not gate.improve:
        return "says nothing to check; give min, max, margin (non-inferiority) or improve: true"
    if gate.margin is not None and gate.improve:
        return "use either margin (non-inferiority) or improve: true (superiority), not both"
    if gate.margin is not None and gate.margin < 0:
        return f"margin must be 0 or more, not {gate.margin}"
    if gate.min is not None and gate.max is not None and gate.min > gate.max:
        return f"min ({gate.min}) is above max ({gate.max})"
    if gate.alpha is not None and not 0 < gate.alpha < 0.5:
        return "alpha must lie between 0 and 0.5"
    return None
