"""What the registry returns: frozen records, never ORM objects or sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model, with its lineage.

    Attributes:
        model: The model's name.
        version: Its number, from 1, increasing.
        artifact_digest: The model artifact in the store.
        flavor: How to load it (sklearn, onnx, python).
        signature: Input columns and dtypes, and output.
        input_example: A small input the server smoke-tests with.
        run_id: The run that produced it, if known.
        git_commit: The commit it was trained from.
        data_digests: Path -> digest of every dataset it was trained or evaluated on.
        params: The parameters it was trained with.
        metrics: Its evaluation metrics.
        created_at: When it was registered (UTC).
        created_by: Who registered it.
    """

    model: str
    version: int
    artifact_digest: str
    flavor: str
    signature: Mapping[str, object] | None
    input_example: object | None
    run_id: int | None
    git_commit: str | None
    data_digests: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    created_at: datetime = datetime.min
    created_by: str = ""

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"


@dataclass(frozen=True)
class Model:
    """A registered model: its latest version and where its aliases point."""

    name: str
    description: str
    latest_version: int | None
    aliases: Mapping[str, int]
    created_at: datetime


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias: who moved it, when, from where to where, and why.

    ``to_version`` is None when the alias was deleted, ``from_version`` None when it was
    created.
    """

    id: int
    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str
    reason: str
    command: str
    at: datetime


@dataclass(frozen=True)
class RunIO:
    """A stage input (``dep``) or output (``out``) of a run, by digest."""

    stage: str
    role: str
    path: str
    digest: str


@dataclass(frozen=True)
class Run:
    """One execution: where it ran, from which commit, with what, and what it measured.

    Attributes:
        metrics: The last value logged for each metric (the full series is in
            :meth:`~mlgate.registry.Registry.metric_history`).
    """

    id: int
    name: str
    git_commit: str | None
    git_dirty: bool
    host: str
    user: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    params: Mapping[str, object] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    io: tuple[RunIO, ...] = ()


@dataclass(frozen=True)
class Lineage:
    """Where a model version came from: its run (with every input digest) and commit."""

    version: ModelVersion
    run: Run | None


@dataclass(frozen=True)
class StoredGateReport:
    """A gate report as the registry keeps it.

    Attributes:
        report: The report's JSON form (``mlgate.evaluate.GateReport.from_dict`` reads it).
    """

    id: int
    model: str
    version: int
    passed: bool
    champion: str | None
    report: Mapping[str, object]
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class DeployEvent:
    """Something that happened to a deployment (see :meth:`Registry.deploy_events`).

    Attributes:
        kind: ``load-failed``, ``smoke-failed``, ``rollout-started``, ``rollout-step``,
            ``rollout-promoted``, ``rollout-aborted``, ``rollout-inconclusive``,
            ``shadow-report`` or ``promote-forced``.
    """

    id: int
    model: str
    alias: str
    version: int | None
    kind: str
    message: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class Rollout:
    """A canary (or shadow) rollout of ``canary`` behind ``model@alias``.

    Attributes:
        weight: The share of traffic the canary answers (0 to 1); in shadow mode, the
            share mirrored to it.
        status: ``running``, ``promoted``, ``aborted`` or ``inconclusive``.
    """

    id: int
    model: str
    alias: str
    stable: int
    canary: int
    weight: float
    shadow: bool
    status: str
    reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ReplicaStats:
    """What one server replica counted for one version during a rollout (cumulative).

    Attributes:
        latency_ms: Counts per latency bucket (see ``mlgate.serve.LATENCY_BUCKETS_MS``).
        disagreements: Shadow mode: requests where the canary's answer differed.
        compared: Shadow mode: requests answered by both.
        prediction_gap: Shadow mode: the sum of absolute differences of the answers.
        predictions: Classifiers: how many rows were predicted as each class.
    """

    rollout_id: int
    replica: str
    version: int
    requests: int
    errors: int
    latency_ms: tuple[int, ...]
    disagreements: int
    compared: int
    prediction_gap: float
    updated_at: datetime
    predictions: tuple[tuple[str, int], ...] = ()
