"""The watcher: a thread that follows the alias and the rollout in the registry, loads
and smoke-tests new versions in the background, swaps the routing atomically, and
reports the replica's counters. A registry outage changes nothing: the server keeps
serving what it has."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlgate._errors import MlgateError
from mlgate.serve._state import Counters, Deployment, Routing

if TYPE_CHECKING:
    from mlgate.config import RemoteConfig
    from mlgate.registry import ModelVersion, Registry, Rollout
    from mlgate.store import Workspace

log = logging.getLogger("mlgate.serve")


@dataclass(frozen=True)
class ServeConfig:
    """What a server serves and how it follows the registry.

    Attributes:
        poll: Seconds between registry reads (PostgreSQL also wakes it by NOTIFY).
        trust: Allow model formats that run code when loaded.
    """

    name: str
    alias: str
    registry_url: str
    root: str
    poll: float = 1.0
    trust: bool = False
    replica: str = ""


class Watcher:
    """Keeps :attr:`routing` in step with the registry from its own thread. It owns the
    registry and workspace it is given, and closes them in :meth:`stop`."""

    CACHE = 4  # loaded versions kept, so a rollback needs no load

    def __init__(
        self,
        config: ServeConfig,
        registry: Registry,
        ws: Workspace,
        remote: RemoteConfig | None,
        counters: Counters,
    ) -> None:
        self.config = config
        self.registry = registry
        self.ws = ws
        self.remote = remote
        self.counters = counters
        self.routing = Routing()
        self.registry_ok = False
        self.replica = config.replica or f"{socket.gethostname()}:{os.getpid()}"
        self._loaded: OrderedDict[int, Deployment] = OrderedDict()
        self._failed: set[int] = set()
        self._rollout_id: int | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._scratch = tempfile.mkdtemp(prefix="mlgate-serve-")
        self._thread = threading.Thread(target=self._loop, name="mlgate-watcher", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.sync()
        self._thread.start()
        if self.registry.url.startswith("postgresql"):
            threading.Thread(target=self._listen, name="mlgate-listen", daemon=True).start()

    def stop(self) -> None:
        import shutil

        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        shutil.rmtree(self._scratch, ignore_errors=True)
        self.registry.close()
        self.ws.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.config.poll)
            self._wake.clear()
            if not self._stop.is_set():
                self.sync()

    def _listen(self) -> None:
        """PostgreSQL LISTEN: wake the watcher the moment an alias or rollout moves."""
        import psycopg

        url = self.registry.url.replace("postgresql+psycopg://", "postgresql://", 1)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute("LISTEN mlgate")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.payload == f"{self.config.name}@{self.config.alias}":
                                self._wake.set()
            except psycopg.Error as exc:
                log.warning("LISTEN on the registry failed (%s); polling only", exc)
                self._stop.wait(self.config.poll)

    # -- one step ----------------------------------------------------------------------
    def sync(self) -> None:
        """Read the alias and the rollout, load what is new, swap, report counters."""
        try:
            stable_version = self._alias_version()
            rollout = self.registry.active_rollout(self.config.name, self.config.alias)
            self.registry_ok = True
        except MlgateError as exc:
            if self.registry_ok:
                log.warning("registry unreachable, serving what is loaded: %s", exc)
            self.registry_ok = False
            return
        stable = self._deployment(stable_version) if stable_version is not None else None
        if stable is None:
            stable = self.routing.stable  # a version that fails to load never takes traffic
        canary = None
        if rollout is not None:
            canary = self._deployment(self.registry.get(self.config.name, rollout.canary))
        self._swap(stable, canary, rollout)
        self._report(rollout)

    def _alias_version(self) -> ModelVersion | None:
        version = self.registry.alias(self.config.name, self.config.alias)
        return None if version is None else self.registry.get(self.config.name, version)

    def _swap(
        self, stable: Deployment | None, canary: Deployment | None, rollout: Rollout | None
    ) -> None:
        if rollout is not None and rollout.id != self._rollout_id:
            self.counters.reset()
        self._rollout_id = rollout.id if rollout is not None else None
        new = Routing(
            stable=stable,
            canary=canary,
            rollout_id=rollout.id if rollout is not None else None,
            weight=rollout.weight if rollout is not None and canary is not None else 0.0,
            shadow=rollout.shadow if rollout is not None else False,
        )
        if new != self.routing:
            old = self.routing.stable.version.version if self.routing.stable else None
            now = stable.version.version if stable else None
            if old != now:
                log.info(
                    "serving %s@%s: version %s -> %s", self.config.name, self.config.alias, old, now
                )
            self.routing = new  # one assignment: requests see the old or the new routing

    def _report(self, rollout: Rollout | None) -> None:
        if rollout is None:
            return
        stats = self.counters.snapshot(rollout.id, self.replica, [rollout.stable, rollout.canary])
        try:
            self.registry.report_stats(stats)
        except MlgateError as exc:
            log.warning("could not report counters: %s", exc)

    def _deployment(self, version: ModelVersion) -> Deployment | None:
        """The loaded version, loading and smoke-testing it first if needed; None (and
        an event in the registry, once) when it fails."""
        number = version.version
        if number in self._loaded:
            self._loaded.move_to_end(number)
            return self._loaded[number]
        if number in self._failed:
            return None
        try:
            deployment = self._load(version)
        except Exception as exc:  # a bad version must never take down the server
            self._failed.add(number)
            kind = "smoke-failed" if isinstance(exc, _SmokeFailed) else "load-failed"
            message = f"version {number} was not deployed: {exc}"
            log.error(message)
            try:
                self.registry.record_deploy_event(
                    self.config.name, self.config.alias, number, kind, message, self.replica
                )
            except MlgateError:
                pass
            return None
        self._loaded[number] = deployment
        while len(self._loaded) > self.CACHE:
            self._loaded.popitem(last=False)
        return deployment

    def _load(self, version: ModelVersion) -> Deployment:
        from mlgate.models import load_model, materialise_artifact

        path = materialise_artifact(
            self.ws, self.remote, version.artifact_digest, self._scratch, version.ref
        )
        model = load_model(
            path, version.flavor, root=self.config.root, trust=self.config.trust, arrays=True
        )
        deployment = Deployment.of(version, model)
        smoke_test(deployment)
        return deployment


class _SmokeFailed(Exception):
    pass


def smoke_test(deployment: Deployment) -> None:
    """Predict on the version's stored input example; raise if that fails."""
    from mlgate.serve._protocol import BadInput, parse_mlflow

    example = deployment.version.input_example
    if not example:
        return
    try:
        frame = parse_mlflow({"dataframe_split": example}, deployment.columns)
        deployment.model.predict(frame)
    except (BadInput, MlgateError) as exc:
        raise _SmokeFailed(f"the smoke test on its input example failed: {exc}") from None
    except Exception as exc:
        raise _SmokeFailed(
            f"the smoke test on its input example raised {type(exc).__name__}: {exc}"
        ) from None
