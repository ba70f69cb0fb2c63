"""Deployments in the registry: events, rollouts and the statistics replicas report.

Servers only read here and report their own counters; rollouts and aliases are moved by
`mlgate rollout/rollback/promote` (the deploy side), never by a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mlgate._errors import NotFound, RegistryError
from mlgate.registry._records import AliasEvent, DeployEvent, ReplicaStats, Rollout
from mlgate.registry._schema import AliasRow, DeployEventRow, RolloutRow, ServeStatsRow

if TYPE_CHECKING:
    from sqlalchemy import Connection

FINAL = ("promoted", "aborted", "inconclusive")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class DeployLog:
    """The deployment half of :class:`~mlgate.registry.Registry` (mixed into it)."""

    if TYPE_CHECKING:

        def _read(self) -> AbstractContextManager[Connection]: ...

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _require_version(self, conn: Connection, name: str, version: int) -> None: ...

        def _move_alias(
            self,
            conn: Connection,
            name: str,
            alias: str,
            version: int | None,
            expected: int | None,
            reason: str,
            actor: str | None,
            command: str | None,
        ) -> AliasEvent: ...

    # -- events ------------------------------------------------------------------------
    def record_deploy_event(
        self, name: str, alias: str, version: int | None, kind: str, message: str, actor: str
    ) -> int:
        """Append an event to the deployment history of ``name``."""

        with self._write() as conn:
            return _event(conn, name, alias, version, kind, message, actor)

    def deploy_events(self, name: str, alias: str | None = None) -> list[DeployEvent]:
        """The deployment history of ``name`` (or of one alias), oldest first."""
        from sqlalchemy import select

        query = select(DeployEventRow).where(DeployEventRow.model == name)
        if alias is not None:
            query = query.where(DeployEventRow.alias == alias)
        with self._read() as conn:
            rows = conn.execute(query.order_by(DeployEventRow.id)).all()
        return [
            DeployEvent(r.id, r.model, r.alias, r.version, r.kind, r.message, r.actor, r.at)
            for r in rows
        ]

    # -- rollouts ----------------------------------------------------------------------
    def start_rollout(
        self, name: str, alias: str, canary: int, *, weight: float, shadow: bool, actor: str
    ) -> Rollout:
        """Begin rolling ``canary`` out behind ``name@alias``, whose current version is
        the stable one.

        Raises:
            NotFound: no such version.
            RegistryError: the alias is unset, already points to ``canary``, or another
                rollout of it is running.
        """
        from sqlalchemy import insert, select

        now = _now()
        with self._write() as conn:
            self._require_version(conn, name, canary)
            stable = conn.execute(
                select(AliasRow.version).where(AliasRow.model == name, AliasRow.alias == alias)
            ).scalar_one_or_none()
            if stable is None:
                raise RegistryError(
                    f"{name}@{alias} is not set, so there is no stable version to roll out "
                    f"against; promote a first version with `mlgate promote {name} VERSION`"
                )
            if stable == canary:
                raise RegistryError(f"{name}@{alias} already is version {canary}")
            running = _running(conn, name, alias)
            if running is not None:
                raise RegistryError(
                    f"rollout {running.id} of {name}@{alias} (version {running.canary}) is "
                    "still running; wait for it or abort it (`mlgate rollout --abort`)"
                )
            row_id = conn.execute(
                insert(RolloutRow)
                .values(
                    model=name,
                    alias=alias,
                    stable=stable,
                    canary=canary,
                    weight=weight,
                    shadow=shadow,
                    status="running",
                    reason="",
                    created_at=now,
                    updated_at=now,
                )
                .returning(RolloutRow.id)
            ).scalar_one()
            mode = "shadow" if shadow else f"canary at {weight:.0%}"
            _event(
                conn,
                name,
                alias,
                canary,
                "rollout-started",
                f"rollout {row_id}: version {canary} against {stable}, {mode}",
                actor,
            )
            _notify(conn, f"{name}@{alias}")
            return _rollout(_get(conn, int(row_id)))

    def rollout(self, rollout_id: int) -> Rollout:
        """One rollout.

        Raises:
            NotFound: no such rollout.
        """
        with self._read() as conn:
            return _rollout(_get(conn, rollout_id))

    def active_rollout(self, name: str, alias: str) -> Rollout | None:
        """The running rollout behind ``name@alias``, if any."""
        with self._read() as conn:
            row = _running(conn, name, alias)
            return _rollout(row) if row is not None else None

    def set_rollout_weight(self, rollout_id: int, weight: float, actor: str) -> Rollout:
        """Move a running rollout to the next step."""
        from sqlalchemy import update

        if not 0.0 <= weight <= 1.0:
            raise RegistryError(f"a canary weight lies between 0 and 1, not {weight}")
        with self._write() as conn:
            row = _get(conn, rollout_id)
            if row.status != "running":
                raise RegistryError(f"rollout {rollout_id} is {row.status}, not running")
            conn.execute(
                update(RolloutRow)
                .where(RolloutRow.id == rollout_id)
                .values(weight=weight, updated_at=_now())
            )
            _event(
                conn,
                row.model,
                row.alias,
                row.canary,
                "rollout-step",
                f"rollout {rollout_id}: canary weight {weight:.0%}",
                actor,
            )
            _notify(conn, f"{row.model}@{row.alias}")
            return _rollout(_get(conn, rollout_id))

    def finish_rollout(
        self, rollout_id: int, status: str, reason: str, actor: str, command: str | None = None
    ) -> Rollout:
        """End a running rollout. ``promoted`` moves the alias to the canary in the same
        transaction (compare-and-set against the stable version); ``aborted`` and
        ``inconclusive`` leave the alias on the stable version.

        Raises:
            AliasConflict: the alias moved during the rollout (nothing was changed).
            RegistryError: the rollout is not running, or the status is unknown.
        """
        from sqlalchemy import update

        if status not in FINAL:
            raise RegistryError(f"a rollout ends as one of {', '.join(FINAL)}, not {status!r}")
        with self._write() as conn:
            row = _get(conn, rollout_id)
            if row.status != "running":
                raise RegistryError(f"rollout {rollout_id} is already {row.status}")
            if status == "promoted":
                self._move_alias(
                    conn,
                    row.model,
                    row.alias,
                    row.canary,
                    row.stable,
                    f"rollout {rollout_id} promoted: {reason}",
                    actor,
                    command,
                )
            conn.execute(
                update(RolloutRow)
                .where(RolloutRow.id == rollout_id)
                .values(
                    status=status,
                    reason=reason,
                    weight=1.0 if status == "promoted" else 0.0,
                    updated_at=_now(),
                )
            )
            _event(
                conn,
                row.model,
                row.alias,
                row.canary,
                f"rollout-{status}",
                f"rollout {rollout_id}: {reason}",
                actor,
            )
            _notify(conn, f"{row.model}@{row.alias}")
            return _rollout(_get(conn, rollout_id))

    # -- replica statistics --------------------------------------------------------------
    def report_stats(self, stats: Sequence[ReplicaStats]) -> None:
        """Store replicas' cumulative counters (one row per rollout, replica, version)."""
        from sqlalchemy import delete, insert

        if not stats:
            return
        with self._write() as conn:
            for s in stats:
                conn.execute(
                    delete(ServeStatsRow).where(
                        ServeStatsRow.rollout_id == s.rollout_id,
                        ServeStatsRow.replica == s.replica,
                        ServeStatsRow.version == s.version,
                    )
                )
                conn.execute(
                    insert(ServeStatsRow).values(
                        rollout_id=s.rollout_id,
                        replica=s.replica,
                        version=s.version,
                        requests=s.requests,
                        errors=s.errors,
                        latency_ms=list(s.latency_ms),
                        disagreements=s.disagreements,
                        compared=s.compared,
                        prediction_gap=s.prediction_gap,
                        updated_at=_now(),
                        predictions=dict(s.predictions),
                    )
                )

    def rollout_stats(self, rollout_id: int) -> list[ReplicaStats]:
        """Every replica's counters for a rollout."""
        from sqlalchemy import select

        with self._read() as conn:
            rows = conn.execute(
                select(ServeStatsRow).where(ServeStatsRow.rollout_id == rollout_id)
            ).all()
        return [
            ReplicaStats(
                r.rollout_id,
                r.replica,
                r.version,
                r.requests,
                r.errors,
                tuple(int(c) for c in r.latency_ms),
                r.disagreements,
                r.compared,
                r.prediction_gap,
                r.updated_at,
                tuple(sorted((str(k), int(v)) for k, v in (r.predictions or {}).items())),
            )
            for r in rows
        ]


def _event(
    conn: Connection,
    name: str,
    alias: str,
    version: int | None,
    kind: str,
    message: str,
    actor: str,
) -> int:
    from sqlalchemy import insert

    return int(
        conn.execute(
            insert(DeployEventRow)
            .values(
                model=name,
                alias=alias,
                version=version,
                kind=kind,
                message=message,
                actor=actor,
                at=_now(),
            )
            .returning(DeployEventRow.id)
        ).scalar_one()
    )


def _notify(conn: Connection, payload: str) -> None:
    from mlgate.registry._registry import notify

    notify(conn, payload)


def _get(conn: Connection, rollout_id: int) -> Any:
    from sqlalchemy import select

    row = conn.execute(select(RolloutRow).where(RolloutRow.id == rollout_id)).first()
    if row is None:
        raise NotFound(f"there is no rollout {rollout_id}; `mlgate history NAME` lists them")
    return row


def _running(conn: Connection, name: str, alias: str) -> Any:
    from sqlalchemy import select

    return conn.execute(
        select(RolloutRow).where(
            RolloutRow.model == name, RolloutRow.alias == alias, RolloutRow.status == "running"
        )
    ).first()


def _rollout(r: Any) -> Rollout:
    return Rollout(
        r.id,
        r.model,
        r.alias,
        r.stable,
        r.canary,
        r.weight,
        r.shadow,
        r.status,
        r.reason,
        r.created_at,
        r.updated_at,
    )
