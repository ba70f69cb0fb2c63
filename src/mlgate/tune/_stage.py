"""A tune stage, as `mlgate run` executes it (`mlgate tune run STAGE`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlgate._errors import PipelineError
from mlgate.tune._study import TuneResult, objective_of, run_study

if TYPE_CHECKING:
    from mlgate.config import Project
    from mlgate.tune._pools import TrialPool


def run_tune_stage(root: str, stage: str, say: Callable[[str], None]) -> TuneResult:
    """Run the study of ``stage``, write its best parameters to ``tune.output``, and
    record them in the pipeline's registry run (``MLGATE_RUN_ID``), so they appear in
    the lineage of the model trained from them.

    Raises:
        PipelineError: no such tune stage, or every trial failed.
    """
    import yaml

    from mlgate._fs import atomic_write
    from mlgate.config import load_project

    project = load_project(root)
    spec = project.config.stages.get(stage)
    if spec is None or spec.tune is None:
        raise PipelineError(f"'{stage}' is not a tune stage of mlgate.yaml")
    tune = spec.tune
    result = run_study(
        project.root,
        stage,
        tune,
        say=say,
        pool_factory=_dask_pool(project, stage, say),
        inputs=inputs_digest(project, stage),
    )
    doc = {k: v for k, v in sorted(result.best_params.items())}
    path = os.path.join(project.root, tune.output)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    atomic_write(path, yaml.safe_dump(doc, sort_keys=True).encode())
    say(
        f"best: {', '.join(f'{v:.5g}' for v in result.best_values)} with {doc}; "
        f"{result.complete} complete, {result.pruned} pruned, {result.failed} failed; "
        f"written to {tune.output}"
    )
    if os.environ.get("MLGATE_RUN_ID"):
        import mlgate

        mlgate.log_params({f"{stage}.best.{k}": v for k, v in doc.items()})
        values = result.best_values
        names = (
            [f"{stage}.best_value"]
            if len(values) == 1
            else [f"{stage}.best_value_{i}" for i in range(len(values))]
        )
        mlgate.log_metrics(dict(zip(names, values, strict=True)))
    return result


def inputs_digest(project: Project, stage: str) -> str:
    """A digest of the content of the stage's declared dependencies."""
    import blake3

    from mlgate.store import Workspace

    spec = project.config.stages[stage]
    parts = []
    with Workspace.for_project(project) as ws:
        for dep in spec.deps:
            digest = ws.snapshot(dep.rstrip("/")).digest
            parts.append(f"{dep}={digest}")
    return blake3.blake3("\n".join(parts).encode()).hexdigest()


def _dask_pool(
    project: Project, stage: str, say: Callable[[str], None]
) -> Callable[[Any, Any], TrialPool] | None:
    """Trials on the Dask scheduler that `mlgate run --executor` or `executor:` names,
    with the stage's declared inputs pushed to the remote for its workers; None for
    local processes."""
    from mlgate.config import ExecutorConfig

    address = os.environ.get("MLGATE_EXECUTOR")
    timeout = 10.0
    if isinstance(project.config.executor, ExecutorConfig):
        address = address or project.config.executor.dask
        timeout = project.config.executor.connect_timeout
    if not address or address == "local":
        return None
    from mlgate.execute._dask import connect
    from mlgate.pipeline._params import param_files
    from mlgate.store import Workspace, open_remote, push_pointers
    from mlgate.tune._pools import DaskPool

    remote = project.config.remote_config
    if remote is None:
        raise PipelineError(
            f"stage '{stage}': trials on Dask need a remote store their workers can reach; "
            "add `remote:` to mlgate.yaml"
        )
    spec = project.config.stages[stage]
    assert spec.tune is not None
    files = [*(d.rstrip("/") for d in spec.deps), *param_files(spec)]
    with Workspace.for_project(project) as ws:
        inputs = tuple(ws.put_path(f, cwd=project.root) for f in dict.fromkeys(files))
        push_pointers(ws, open_remote(remote), inputs)
    client = connect(address, timeout)
    say(f"trials on the Dask scheduler at {address}")
    tune = spec.tune

    def make(_reports: Any, _decisions: Any) -> TrialPool:
        return DaskPool(client, inputs, remote, objective_of(tune), tune.jobs)

    return make
