"""The contract every registry backend (SQLite, PostgreSQL) must pass.

Subclass :class:`RegistryContract` and implement :meth:`make_url` to return the URL of
an empty database; pytest runs every ``test_*`` method against it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import pytest

from mlgate._errors import AliasConflict, NotFound, RegistryError, SchemaMismatch
from mlgate.registry import SCHEMA_REVISION, Registry

DIGEST = "a" * 64


class RegistryContract(ABC):
    """Behaviour shared by every registry backend (see :class:`mlgate.registry.Registry`)."""

    @abstractmethod
    def make_url(self) -> str:
        """The URL of a fresh, empty database."""

    @pytest.fixture(autouse=True)
    def _close_registries(self) -> Iterator[None]:
        self._opened: list[Registry] = []
        yield
        for reg in self._opened:
            reg.close()

    def open(self, url: str, *, check: bool = True) -> Registry:
        reg = Registry(url, check=check)
        self._opened.append(reg)
        return reg

    def registry(self) -> Registry:
        url = self.make_url()
        self.open(url, check=False).upgrade()
        return self.open(url)

    def test_an_empty_database_must_be_upgraded_first(self) -> None:
        url = self.make_url()
        with pytest.raises(SchemaMismatch, match="run `mlgate registry upgrade`"):
            self.open(url)
        before, after = self.open(url, check=False).upgrade()
        assert before is None and after == SCHEMA_REVISION
        assert self.open(url, check=False).upgrade() == (SCHEMA_REVISION, SCHEMA_REVISION)
        self.open(url)

    def test_upgrade_from_the_first_schema_keeps_the_data(self) -> None:
        url = self.make_url()
        old = self.open(url, check=False)
        assert old.upgrade("0001_initial") == (None, "0001_initial")
        old.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        old.set_alias("churn", "production", 1, expected=None, reason="v1")
        with pytest.raises(SchemaMismatch, match="older than this mlgate's"):
            self.open(url)
        assert old.upgrade() == ("0001_initial", SCHEMA_REVISION)
        new = self.open(url)
        assert new.resolve("churn@production").version == 1
        assert [e.reason for e in new.history("churn")] == ["v1"]
        assert new.start_run("after the upgrade") >= 1

    def test_versions_are_numbered_per_model(self) -> None:
        reg = self.registry()
        one = reg.register(
            "churn",
            artifact_digest=DIGEST,
            flavor="sklearn",
            params={"C": 1.0},
            metrics={"auc": 0.9},
            data_digests={"data/train.csv": "b" * 64},
            git_commit="c" * 40,
            signature={"inputs": [["x", "float64"]]},
            input_example=[[1.0]],
        )
        two = reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        other = reg.register("digits", artifact_digest=DIGEST, flavor="onnx")
        assert (one.version, two.version, other.version) == (1, 2, 1)
        got = reg.get("churn", 1)
        assert got == one and got.params == {"C": 1.0} and got.data_digests["data/train.csv"]
        assert [v.version for v in reg.versions("churn")] == [1, 2]
        assert reg.resolve("churn").version == 2 and reg.resolve("churn@1").version == 1
        models = {m.name: m for m in reg.models()}
        assert models["churn"].latest_version == 2 and models["digits"].latest_version == 1

    def test_unknown_models_and_versions(self) -> None:
        reg = self.registry()
        with pytest.raises(NotFound, match="no model named 'ghost'"):
            reg.versions("ghost")
        reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        with pytest.raises(NotFound, match=r"has no version 7 \(versions: 1..1\)"):
            reg.get("churn", 7)
        with pytest.raises(NotFound, match="has no alias 'production'"):
            reg.resolve("churn@production")
        with pytest.raises(NotFound, match="no version 3"):
            reg.set_alias("churn", "production", 3, expected=None, reason="r")

    def test_alias_moves_are_compare_and_set_with_history(self) -> None:
        reg = self.registry()
        for _ in range(3):
            reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        reg.set_alias("churn", "production", 1, expected=None, reason="first", actor="ann")
        reg.set_alias("churn", "production", 2, expected=1, reason="better", actor="bob")
        with pytest.raises(AliasConflict, match="is version 2, not version 1") as info:
            reg.set_alias("churn", "production", 3, expected=1, reason="stale")
        assert info.value.current == 2
        with pytest.raises(AliasConflict, match="not unset"):
            reg.set_alias("churn", "production", 3, expected=None, reason="stale")
        assert reg.resolve("churn@production").version == 2
        assert reg.previous("churn", "production") == 1
        reg.set_alias("churn", "production", None, expected=2, reason="retire")
        assert reg.alias("churn", "production") is None
        events = reg.history("churn", "production")
        assert [(e.from_version, e.to_version, e.reason) for e in events] == [
            (None, 1, "first"),
            (1, 2, "better"),
            (2, None, "retire"),
        ]
        assert events[0].actor == "ann" and events[0].at <= events[1].at

    @pytest.mark.parametrize("alias", ["latest", "Prod", "1", "has space", "", "x" * 101])
    def test_reserved_or_malformed_aliases(self, alias: str) -> None:
        reg = self.registry()
        reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        with pytest.raises(RegistryError, match="reserved|not valid"):
            reg.set_alias("churn", alias, 1, expected=None, reason="r")

    def test_malformed_model_names_and_missing_reason(self) -> None:
        reg = self.registry()
        with pytest.raises(RegistryError, match="model name '../x' is not valid"):
            reg.register("../x", artifact_digest=DIGEST, flavor="sklearn")
        reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        with pytest.raises(RegistryError, match="needs a reason"):
            reg.set_alias("churn", "production", 1, expected=None, reason=" ")

    def test_runs_record_params_metrics_and_io(self) -> None:
        reg = self.registry()
        run_id = reg.start_run("train", params={"C": 1.0}, git_commit="c" * 40, git_dirty=True)
        reg.log_params(run_id, {"C": 2.0, "kernel": "rbf", "layers": [64, 32]})
        assert reg.log_metrics(run_id, [("loss", 1.0 / (s + 1), s) for s in range(1000)]) == 1000
        reg.log_metrics(run_id, {"auc": 0.93, "accuracy": 0.88}, step=5)
        reg.record_io(run_id, "train", "dep", {"data/train.csv": "d" * 64})
        reg.record_io(run_id, "train", "out", {"models/model.skops": "e" * 64})
        reg.finish_run(run_id)
        run = reg.run(run_id)
        assert run.status == "finished" and run.git_dirty and run.ended_at is not None
        assert run.params == {"C": 2.0, "kernel": "rbf", "layers": [64, 32]}
        assert run.metrics["loss"] == 1.0 / 1000 and run.metrics["auc"] == 0.93
        assert [(io.role, io.path) for io in run.io] == [
            ("dep", "data/train.csv"),
            ("out", "models/model.skops"),
        ]
        history = reg.metric_history(run_id, "loss")
        assert len(history) == 1000 and history[0] == (0, 1.0)
        assert [r.id for r in reg.runs()] == [run_id]

    def test_lineage_from_model_to_data(self) -> None:
        reg = self.registry()
        run_id = reg.start_run("pipeline", git_commit="c" * 40)
        reg.record_io(run_id, "prepare", "dep", {"data/raw.csv": "d" * 64})
        version = reg.register(
            "churn",
            artifact_digest=DIGEST,
            flavor="sklearn",
            run_id=run_id,
            git_commit="c" * 40,
            data_digests={"data/raw.csv": "d" * 64},
        )
        lineage = reg.lineage(f"churn@{version.version}")
        assert lineage.version == version and lineage.run is not None
        assert lineage.run.io[0].digest == "d" * 64
        assert (
            reg.lineage(reg.register("churn", artifact_digest=DIGEST, flavor="x").ref).run is None
        )

    def test_bad_run_input(self) -> None:
        reg = self.registry()
        with pytest.raises(NotFound, match="no run 999"):
            reg.log_metrics(999, {"loss": 1.0})
        with pytest.raises(NotFound, match="no run 999"):
            reg.run(999)
        with pytest.raises(NotFound, match="no run 999"):
            reg.finish_run(999)
        run_id = reg.start_run("r")
        not_a_number: Any = {"loss": "high"}  # wrong on purpose: checked at run time too
        with pytest.raises(RegistryError, match="metric 'loss' must be a number"):
            reg.log_metrics(run_id, not_a_number)
        with pytest.raises(RegistryError, match="infinite"):
            reg.log_metrics(run_id, {"loss": float("inf")})
        with pytest.raises(RegistryError, match="1-250 characters"):
            reg.log_metrics(run_id, {"": 1.0})
        with pytest.raises(RegistryError, match="cannot be stored"):
            reg.log_params(run_id, {"f": object()})
        with pytest.raises(RegistryError, match="role must be"):
            reg.record_io(run_id, "s", "input", {})
        assert reg.log_metrics(run_id, []) == 0

    def test_gate_reports_are_kept_with_their_version(self) -> None:
        reg = self.registry()
        reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        reg.register("churn", artifact_digest="b" * 64, flavor="sklearn")
        report = {"passed": False, "results": [{"gate": "auc", "status": "fail"}], "rows": 10}
        first = reg.save_gate_report(
            "churn", 2, report, passed=False, champion="churn@1", actor="ci"
        )
        second = reg.save_gate_report(
            "churn", 2, {**report, "passed": True}, passed=True, champion="churn@1", actor="ci"
        )
        assert second > first
        stored = reg.gate_reports("churn", 2)
        assert [s.passed for s in stored] == [True, False]  # newest first
        assert stored[1].report == report and stored[1].champion == "churn@1"
        assert reg.gate_reports("churn", 1) == [] and len(reg.gate_reports("churn")) == 2
        with pytest.raises(NotFound, match="no version 9"):
            reg.save_gate_report("churn", 9, report, passed=True, champion=None, actor="ci")

    def test_rollouts_promote_or_abort_in_one_transaction(self) -> None:
        from mlgate.registry import ReplicaStats

        reg = self.registry()
        for digest in ("a", "b", "c"):
            reg.register("churn", artifact_digest=digest * 64, flavor="sklearn")
        with pytest.raises(RegistryError, match="is not set"):
            reg.start_rollout("churn", "production", 2, weight=0.1, shadow=False, actor="t")
        reg.set_alias("churn", "production", 1, expected=None, reason="v1")
        with pytest.raises(RegistryError, match="already is version 1"):
            reg.start_rollout("churn", "production", 1, weight=0.1, shadow=False, actor="t")
        rollout = reg.start_rollout("churn", "production", 2, weight=0.1, shadow=False, actor="t")
        assert (rollout.stable, rollout.canary, rollout.status) == (1, 2, "running")
        assert reg.active_rollout("churn", "production") == rollout
        with pytest.raises(RegistryError, match="still running"):
            reg.start_rollout("churn", "production", 3, weight=0.1, shadow=False, actor="t")
        assert reg.set_rollout_weight(rollout.id, 0.5, "t").weight == 0.5
        with pytest.raises(RegistryError, match="between 0 and 1"):
            reg.set_rollout_weight(rollout.id, 1.5, "t")
        stats = ReplicaStats(
            rollout.id, "host-1", 2, 100, 3, (90, 10), 0, 0, 0.0, rollout.created_at
        )
        reg.report_stats([stats])
        reg.report_stats(
            [
                ReplicaStats(
                    rollout.id, "host-1", 2, 150, 4, (140, 10), 0, 0, 0.0, rollout.created_at
                )
            ]
        )
        [stored] = reg.rollout_stats(rollout.id)
        assert (stored.requests, stored.errors, stored.latency_ms) == (150, 4, (140, 10))
        done = reg.finish_rollout(rollout.id, "promoted", "no harm seen", "t")
        assert done.status == "promoted" and reg.alias("churn", "production") == 2
        assert reg.history("churn")[-1].reason.startswith(f"rollout {rollout.id} promoted")
        with pytest.raises(RegistryError, match="already promoted"):
            reg.finish_rollout(rollout.id, "aborted", "late", "t")
        second = reg.start_rollout("churn", "production", 3, weight=0.1, shadow=True, actor="t")
        reg.set_alias("churn", "production", 1, expected=2, reason="manual rollback")
        with pytest.raises(AliasConflict):  # the alias moved during the rollout
            reg.finish_rollout(second.id, "promoted", "too late", "t")
        assert reg.rollout(second.id).status == "running"
        aborted = reg.finish_rollout(second.id, "aborted", "errors 20% vs 0%", "t")
        assert aborted.status == "aborted" and aborted.weight == 0.0
        assert reg.alias("churn", "production") == 1
        kinds = [e.kind for e in reg.deploy_events("churn")]
        assert kinds == [
            "rollout-started",
            "rollout-step",
            "rollout-promoted",
            "rollout-started",
            "rollout-aborted",
        ]
        with pytest.raises(RegistryError, match="a rollout ends as one of"):
            reg.finish_rollout(second.id, "paused", "x", "t")
        with pytest.raises(NotFound, match="no rollout 999"):
            reg.rollout(999)
        event_id = reg.record_deploy_event(
            "churn", "production", 3, "load-failed", "boom", "server"
        )
        assert reg.deploy_events("churn", "production")[-1].id == event_id
