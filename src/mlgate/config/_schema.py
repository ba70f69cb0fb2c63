"""The typed schema of mlgate.yaml.

msgspec validates the parsed YAML against these Structs; field defaults are the
embedded single-machine setup (SQLite registry, local cache).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from mlgate.config._gates import DeployConfig, EvaluationConfig, GatesConfig, ModelConfig
from mlgate.config._tune import TuneConfig

DEFAULT_REGISTRY = "sqlite:///.mlgate/registry.db"
DEFAULT_CACHE_DIR = ".mlgate/cache"

LinkType = Literal["auto", "copy", "hardlink"]


class RemoteConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where `mlgate push/pull` send and fetch objects.

    Attributes:
        url: s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or file:///dir.
        endpoint: An S3-compatible endpoint (MinIO, moto, Ceph). http:// endpoints are
            allowed only when set here explicitly.
        region: The bucket's region for S3.
        jobs: Concurrent transfers by default (overridden by `-j`).
        timeout: Seconds before one request is given up (it is retried twice first).
    """

    url: str
    endpoint: str | None = None
    region: str | None = None
    jobs: int = 16
    timeout: float = 30.0


class CacheConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The local content-addressed cache.

    Attributes:
        dir: Where objects live, relative to the repository root.
        link: How the workspace gets files from the cache. ``auto`` reflinks where the
            filesystem can and copies elsewhere; ``hardlink`` shares the inode and makes
            cache files read-only.
    """

    dir: str = DEFAULT_CACHE_DIR
    link: LinkType = "auto"


class ExecutorConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where stage commands run when it is not this machine.

    Attributes:
        dask: The address of a Dask scheduler (tcp://host:8786). Its workers fetch each
            stage's inputs from the remote store, so a `remote` must be configured.
        connect_timeout: Seconds to wait for the scheduler before giving up.
    """

    dask: str
    connect_timeout: float = 10.0


class Stage(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One step of the pipeline (planned and run by `mlgate run`)."""

    cmd: str = ""
    tune: TuneConfig | None = None
    deps: list[str] = msgspec.field(default_factory=list)
    outs: list[str] = msgspec.field(default_factory=list)
    params: list[str | dict[str, list[str]]] = msgspec.field(default_factory=list)
    metrics: list[str] = msgspec.field(default_factory=list)
    env: list[str] = msgspec.field(default_factory=list)
    always_run: bool = False
    wdir: str = "."

    @property
    def produced(self) -> list[str]:
        """Everything the stage writes and mlgate restores: its outputs and metrics files
        (metrics files are not git-ignored: they are meant to be committed)."""
        extra = [self.tune.output] if self.tune is not None else []
        return [*self.outs, *extra, *self.metrics]

    @property
    def command(self) -> str:
        """What the cache key and lock record hold: the command line, or for a tune
        stage its canonical study settings (`n_trials`, `timeout` and `jobs` included,
        since they change the result)."""
        if self.tune is None:
            return self.cmd
        return "mlgate tune " + msgspec.json.encode(self.tune, order="sorted").decode()


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The whole of mlgate.yaml."""

    registry: str = DEFAULT_REGISTRY
    remote: str | RemoteConfig | None = None
    cache: CacheConfig = msgspec.field(default_factory=CacheConfig)
    track: list[str] = msgspec.field(default_factory=list)
    executor: Literal["local"] | ExecutorConfig = "local"
    stages: dict[str, Stage] = msgspec.field(default_factory=dict)
    model: ModelConfig | None = None
    evaluation: EvaluationConfig | None = None
    gates: GatesConfig = msgspec.field(default_factory=GatesConfig)
    deploy: DeployConfig = msgspec.field(default_factory=DeployConfig)

    @property
    def remote_config(self) -> RemoteConfig | None:
        """The remote as a :class:`RemoteConfig`, whichever form the file used."""
        if isinstance(self.remote, str):
            return RemoteConfig(url=self.remote)
        return self.remote
