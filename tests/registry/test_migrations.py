"""A registry written by an older mlgate upgrades in place, keeping what it holds, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlgate.registry import SCHEMA_REVISION, Registry


def _upgrade_keeps_the_rollout_statistics(url: str) -> None:
    with Registry(url, check=False) as reg:
        reg.upgrade("0004_deploy")
    engine = sa.create_engine(url)
    now = datetime(2026, 1, 1)
    with engine.begin() as conn:  # what mlgate at 0004 wrote
        conn.execute(
            sa.text(
                "INSERT INTO rollouts (model, alias, stable, canary, weight, shadow, status, "
                "reason, created_at, updated_at) VALUES ('m', 'production', 1, 2, 0.1, false, "
                "'aborted', 'old', :now, :now)"
            ),
            {"now": now},
        )
        rollout = conn.execute(sa.text("SELECT max(id) FROM rollouts")).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO serve_stats (rollout_id, replica, version, requests, errors, "
                "latency_ms, disagreements, compared, prediction_gap, updated_at) VALUES "
                "(:r, 'host:1', 2, 7, 1, '[7]', 0, 0, 0.0, :now)"
            ),
            {"r": rollout, "now": now},
        )
    engine.dispose()
    with Registry(url, check=False) as reg:
        before, after = reg.upgrade()
        assert (before, after) == ("0004_deploy", SCHEMA_REVISION)
    with Registry(url) as reg:
        [old] = reg.rollout_stats(rollout)
        assert (old.requests, old.errors, old.latency_ms, old.predictions) == (7, 1, (7,), ())


def test_upgrading_from_0004_keeps_rollout_statistics_on_sqlite(tmp_path: Path) -> None:
    _upgrade_keeps_the_rollout_statistics(f"sqlite:///{tmp_path / 'registry.db'}")


def test_upgrading_from_0004_keeps_rollout_statistics_on_postgres(pg_database: str) -> None:
    _upgrade_keeps_the_rollout_statistics(pg_database)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_prediction_counts_round_trip(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from mlgate.registry import ReplicaStats

    url = (
        f"sqlite:///{tmp_path / 'registry.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("pg_database"))
    )
    with Registry(url, check=False) as reg:
        reg.upgrade()
        for _ in (1, 2):
            reg.register("m", artifact_digest="a" * 64, flavor="sklearn")
        reg.set_alias("m", "production", 1, expected=None, reason="start")
        rollout = reg.start_rollout("m", "production", 2, weight=0.5, shadow=False, actor="t")
        stats = ReplicaStats(
            rollout.id,
            "host:1",
            2,
            3,
            0,
            (3,),
            0,
            0,
            0.0,
            datetime(2026, 1, 1),
            predictions=(("benign", 2), ("malignant", 1)),
        )
        reg.report_stats([stats])
        [back] = reg.rollout_stats(rollout.id)
        assert back.predictions == (("benign", 2), ("malignant", 1))
