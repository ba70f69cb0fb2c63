"""Judging a candidate: the I/O around the pure gates of :mod:`mlgate.evaluate`.

Reads the evaluation data, loads the candidate and the models behind the compared
aliases through :mod:`mlgate.models`, finds the champion's training data through the
registry's lineage, measures latency and size, and hands everything to the gates.
Used by `mlgate gate` and `mlgate ci`.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlgate._errors import ConfigError, EvaluationError, NotFound
from mlgate.config import DataChecks, ModelConfig, Project

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.evaluate import GateReport, GateResult
    from mlgate.models import LoadedModel
    from mlgate.registry import ModelVersion, Registry
    from mlgate.store import Workspace


@dataclass(frozen=True)
class Judged:
    """A gate report and the registered version it judged, if the candidate is one."""

    report: GateReport
    version: ModelVersion | None
    seconds: float


def read_table(root: str, path: str, what: str) -> pd.DataFrame:
    """A CSV or Parquet file of the repository as a DataFrame.

    Raises:
        EvaluationError: missing, unreadable or malformed, naming ``what`` config key.
    """
    import pandas as pd

    full = os.path.join(root, path)
    if not os.path.isfile(full):
        raise EvaluationError(
            f"{what} '{path}' does not exist; run the pipeline (`mlgate run`), "
            f"`mlgate pull`, or fix `{what}` in mlgate.yaml"
        )
    try:
        if path.endswith((".parquet", ".pq")):
            return pd.read_parquet(full)
        return pd.read_csv(full)
    except Exception as exc:
        raise EvaluationError(f"cannot read {what} '{path}': {exc}") from None


def _sections(project: Project) -> ModelConfig:
    config = project.config
    if config.model is None or config.evaluation is None:
        raise ConfigError(
            "mlgate.yaml has no `model:` and `evaluation:` sections, so there is nothing to "
            "gate; add `model: {name: NAME, path: models/model.skops}` and "
            "`evaluation: {data: data/test.csv, target: COLUMN}`"
        )
    return config.model


def judge(
    project: Project, ws: Workspace, registry: Registry, ref: str | None, data: str | None
) -> Judged:
    """Evaluate the candidate (``ref``, or the pipeline's model file) against every
    gate in mlgate.yaml."""
    from mlgate.evaluate import Baseline, GateReport, metric_gates

    started = time.monotonic()
    model_cfg = _sections(project)
    evaluation = project.config.evaluation
    assert evaluation is not None
    gates = project.config.gates
    frame = read_table(project.root, data or evaluation.data, "evaluation.data")
    if evaluation.target not in frame.columns:
        raise EvaluationError(
            f"the evaluation data has no target column '{evaluation.target}'; its columns are "
            f"{', '.join(map(str, frame.columns))}. Fix `evaluation.target` in mlgate.yaml"
        )
    if len(frame) == 0:
        raise EvaluationError("the evaluation data has no rows")
    y = frame[evaluation.target].to_numpy()
    features = frame.drop(columns=[evaluation.target])
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mlgate-gate-") as scratch:
        cand_model, cand_label, cand_version, cand_path = _candidate(
            project, ws, registry, model_cfg, ref, scratch
        )
        if cand_model.trusted:
            notes.append(
                f"The candidate was loaded with `trust: true` ({cand_model.flavor}): loading "
                "it could run arbitrary code."
            )
        cand_pred = cand_model.predict(features)
        aliases = {model_cfg.champion} | {
            g.compare for g in gates.metrics.values() if g.compare is not None
        }
        baselines: dict[str, Baseline | None] = {}
        versions: dict[str, ModelVersion] = {}
        for alias in sorted(aliases):
            version = _alias_version(registry, model_cfg.name, alias)
            if version is None or (cand_version is not None and version == cand_version):
                baselines[alias] = None
                continue
            model = _load_version(project, ws, version, model_cfg, scratch)
            versions[alias] = version
            baselines[alias] = Baseline(version.ref, model.predict(features))
        champion = versions.get(model_cfg.champion)
        if champion is None:
            notes.append(
                f"No model has the alias '{model_cfg.champion}' yet (or it is the candidate "
                "itself): only the absolute gates apply."
            )
        results = metric_gates(
            gates,
            y,
            features,
            cand_pred,
            baselines,
            default_alias=model_cfg.champion,
            root=project.root,
        )
        results += _budgets(project, cand_model, cand_path, features)
        if gates.data is not None:
            results += _data(project, ws, registry, gates.data, features, champion)
    report = GateReport(
        passed=all(r.status != "fail" for r in results),
        candidate=cand_label,
        champion=champion.ref if champion is not None else None,
        rows=len(frame),
        results=tuple(results),
        notes=tuple(notes),
    )
    return Judged(report, cand_version, time.monotonic() - started)


def _alias_version(registry: Registry, name: str, alias: str) -> ModelVersion | None:
    try:
        return registry.resolve(f"{name}@{alias}")
    except NotFound:
        return None


def _candidate(
    project: Project,
    ws: Workspace,
    registry: Registry,
    cfg: ModelConfig,
    ref: str | None,
    scratch: str,
) -> tuple[LoadedModel, str, ModelVersion | None, str]:
    """The candidate model, its label, its registered version (if any) and its path."""
    if ref is not None:
        chosen = registry.resolve(ref if "@" in ref else f"{ref}@latest")
        path = _materialise(project, ws, chosen.artifact_digest, scratch, "candidate")
        return _load(path, chosen.flavor, project, cfg), chosen.ref, chosen, path
    path = os.path.join(project.root, cfg.path)
    model = _load(path, cfg.flavor, project, cfg)
    version = registered_as(registry, cfg.name, path) if os.path.isfile(path) else None
    return model, version.ref if version else cfg.path, version, path


def registered_as(registry: Registry, name: str, path: str) -> ModelVersion | None:
    """The newest version of ``name`` whose artifact is the file at ``path``."""
    from mlgate.store import hash_file

    digest = hash_file(path)
    try:
        matches = [v for v in registry.versions(name) if v.artifact_digest == digest]
    except NotFound:
        return None
    return matches[-1] if matches else None


def _load(path: str, flavor: str, project: Project, cfg: ModelConfig) -> LoadedModel:
    from mlgate.models import load_model

    return load_model(path, flavor, root=project.root, trust=cfg.trust)


def _load_version(
    project: Project, ws: Workspace, version: ModelVersion, cfg: ModelConfig, scratch: str
) -> LoadedModel:
    path = _materialise(project, ws, version.artifact_digest, scratch, version.ref)
    return _load(path, version.flavor, project, cfg)


def _materialise(project: Project, ws: Workspace, digest: str, scratch: str, what: str) -> str:
    from mlgate.models import materialise_artifact

    return materialise_artifact(ws, project.config.remote_config, digest, scratch, what)


def _budgets(
    project: Project, model: LoadedModel, path: str, features: pd.DataFrame
) -> list[GateResult]:
    from mlgate.evaluate import latency_result, size_result

    gates = project.config.gates
    results: list[GateResult] = []
    if gates.latency is not None:
        results.append(
            latency_result(
                gates.latency,
                _latencies(model, features, gates.latency.batch, gates.latency.requests),
            )
        )
    if gates.size is not None:
        results.append(size_result(gates.size, _size(path)))
    return results


def _latencies(
    model: LoadedModel, features: pd.DataFrame, batch: int, requests: int
) -> list[float]:
    """Milliseconds per predict() call on batches of ``batch`` evaluation rows."""
    rows = len(features)
    batches = [
        features.iloc[[(start + i) % rows for i in range(batch)]]
        for start in range(0, min(rows, 64))
    ]
    for frame in batches[:5]:  # warm up
        model.predict(frame)
    out: list[float] = []
    for i in range(requests):
        frame = batches[i % len(batches)]
        began = time.perf_counter()
        model.predict(frame)
        out.append((time.perf_counter() - began) * 1000.0)
    return out


def _size(path: str) -> int:
    if os.path.isdir(path):
        return sum(
            os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files
        )
    return os.path.getsize(path)


def _lineage_digest(registry: Registry, version: ModelVersion, path: str) -> str | None:
    """The digest ``path`` had when ``version`` was trained: a tracked dataset in its
    lineage, or a file its run's stages read or wrote."""
    digest = version.data_digests.get(path)
    if digest is None and version.run_id is not None:
        for io in registry.run(version.run_id).io:
            if io.path == path:
                digest = io.digest
    return digest


def _data(
    project: Project,
    ws: Workspace,
    registry: Registry,
    checks: DataChecks,
    features: pd.DataFrame,
    champion: ModelVersion | None,
) -> list[GateResult]:
    from mlgate.evaluate import data_checks

    evaluation = project.config.evaluation
    assert evaluation is not None
    datasets = {"evaluation": features}
    reference = None
    reference_name = None
    if evaluation.train_data is not None:
        train = read_table(project.root, evaluation.train_data, "evaluation.train_data")
        datasets["training"] = train.drop(columns=[evaluation.target], errors="ignore")
        if champion is not None:
            digest = _lineage_digest(registry, champion, evaluation.train_data)
            if digest is not None:
                reference = _reference(
                    project, ws, digest, evaluation.train_data, evaluation.target
                )
                reference_name = f"the training data of {champion.ref}"
            else:
                reference_name = (
                    f"the lineage of {champion.ref} does not include {evaluation.train_data}"
                )
    explicit = {
        d.reference: read_table(project.root, d.reference, "drift.reference").drop(
            columns=[evaluation.target], errors="ignore"
        )
        for d in checks.drift
        if d.reference is not None
    }
    return data_checks(checks, datasets, reference, reference_name, explicit)


def _reference(
    project: Project, ws: Workspace, digest: str, path: str, target: str
) -> pd.DataFrame:
    with tempfile.TemporaryDirectory(prefix="mlgate-ref-") as scratch:
        local = _materialise(project, ws, digest, scratch, f"the champion's {path}")
        suffix = os.path.splitext(path)[1]
        named = local + suffix
        os.rename(local, named)
        frame = read_table(scratch, os.path.basename(named), "the champion's training data")
    return frame.drop(columns=[target], errors="ignore")


def write_report(out_dir: str, judged: Judged) -> list[str]:
    """report.md, report.json, junit.xml and (when there are comparisons) the plot, each
    written atomically; returns their paths."""
    from mlgate._fs import atomic_write
    from mlgate.evaluate import comparison_plot, to_json, to_junit, to_markdown

    os.makedirs(out_dir, exist_ok=True)
    report = judged.report
    files: dict[str, bytes] = {}
    plot = comparison_plot(report)
    if plot is not None:
        files["comparisons.png"] = plot
    markdown = to_markdown(report, "comparisons.png" if plot is not None else None)
    files["report.md"] = markdown.encode()
    files["report.json"] = to_json(report).encode()
    files["junit.xml"] = to_junit(report, judged.seconds).encode()
    paths = []
    for name, data in files.items():
        path = os.path.join(out_dir, name)
        atomic_write(path, data)
        paths.append(path)
    return paths
