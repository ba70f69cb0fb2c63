"""Runs: parameters, metrics with steps (logged in batches), and stage input/output digests."""

from __future__ import annotations

import getpass
import math
import socket
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from mlgate._errors import NotFound, RegistryError
from mlgate.registry._records import Run, RunIO
from mlgate.registry._schema import RunIORow, RunMetricRow, RunParamRow, RunRow

if TYPE_CHECKING:
    from sqlalchemy import Connection

RunStatus = Literal["running", "finished", "failed", "killed"]
MetricRow = tuple[str, float, int]
"""(key, value, step)"""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class RunLog:
    """The run half of :class:`~mlgate.registry.Registry` (mixed into it)."""

    if TYPE_CHECKING:

        def _read(self) -> AbstractContextManager[Connection]: ...

        def _write(self) -> AbstractContextManager[Connection]: ...

    def start_run(
        self,
        name: str,
        *,
        params: Mapping[str, object] | None = None,
        git_commit: str | None = None,
        git_dirty: bool = False,
    ) -> int:
        """Open a run and return its id."""
        from sqlalchemy import insert

        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        with self._write() as conn:
            run_id = conn.execute(
                insert(RunRow)
                .values(
                    name=name,
                    git_commit=git_commit,
                    git_dirty=git_dirty,
                    host=socket.gethostname(),
                    user=user,
                    status="running",
                    started_at=_now(),
                    ended_at=None,
                )
                .returning(RunRow.id)
            ).scalar_one()
            if params:
                _insert_params(conn, run_id, params)
        return int(run_id)

    def finish_run(self, run_id: int, status: RunStatus = "finished") -> None:
        """Close a run with its final status."""
        from sqlalchemy import update

        with self._write() as conn:
            done = conn.execute(
                update(RunRow).where(RunRow.id == run_id).values(status=status, ended_at=_now())
            )
            if done.rowcount != 1:
                raise NotFound(f"no run {run_id} in the registry")

    def log_params(self, run_id: int, params: Mapping[str, object]) -> None:
        """Record parameters (a key logged twice keeps its latest value)."""
        with self._write() as conn:
            self._require_run(conn, run_id)
            _insert_params(conn, run_id, params)

    def log_metrics(
        self, run_id: int, metrics: Mapping[str, float] | Iterable[MetricRow], step: int = 0
    ) -> int:
        """Record metric values in one batch; returns how many.

        Args:
            metrics: ``{key: value}`` logged at ``step``, or ``(key, value, step)`` rows,
                as a training loop accumulates them.

        Raises:
            RegistryError: a key is empty or a value is not a number.
        """
        from sqlalchemy import insert

        rows = (
            [(k, v, step) for k, v in metrics.items()]
            if isinstance(metrics, Mapping)
            else list(metrics)
        )
        now = _now()
        values = [
            {
                "run_id": run_id,
                "key": _key(key),
                "value": _number(key, value),
                "step": int(s),
                "at": now,
            }
            for key, value, s in rows
        ]
        if not values:
            return 0
        with self._write() as conn:
            self._require_run(conn, run_id)
            conn.execute(insert(RunMetricRow), values)
        return len(values)

    def record_io(self, run_id: int, stage: str, role: str, digests: Mapping[str, str]) -> None:
        """Record the digests of a stage's inputs (``dep``) or outputs (``out``)."""
        from sqlalchemy import delete, insert

        if role not in ("dep", "out"):
            raise RegistryError(f"role must be 'dep' or 'out', not '{role}'")
        with self._write() as conn:
            self._require_run(conn, run_id)
            conn.execute(
                delete(RunIORow).where(
                    RunIORow.run_id == run_id, RunIORow.stage == stage, RunIORow.role == role
                )
            )
            if digests:
                conn.execute(
                    insert(RunIORow),
                    [
                        {"run_id": run_id, "stage": stage, "role": role, "path": p, "digest": d}
                        for p, d in sorted(digests.items())
                    ],
                )

    def run(self, run_id: int) -> Run:
        """One run with its parameters, last metric values and input/output digests."""
        from sqlalchemy import func, select

        with self._read() as conn:
            row = conn.execute(select(RunRow.__table__).where(RunRow.id == run_id)).first()
            if row is None:
                raise NotFound(f"no run {run_id} in the registry")
            params = dict(
                conn.execute(
                    select(RunParamRow.key, RunParamRow.value).where(RunParamRow.run_id == run_id)
                ).all()
            )
            last = (
                select(RunMetricRow.key, func.max(RunMetricRow.id).label("id"))
                .where(RunMetricRow.run_id == run_id)
                .group_by(RunMetricRow.key)
                .subquery()
            )
            metrics = dict(
                conn.execute(
                    select(RunMetricRow.key, RunMetricRow.value).join(
                        last, RunMetricRow.id == last.c.id
                    )
                ).all()
            )
            io = tuple(
                RunIO(*r)
                for r in conn.execute(
                    select(RunIORow.stage, RunIORow.role, RunIORow.path, RunIORow.digest)
                    .where(RunIORow.run_id == run_id)
                    .order_by(RunIORow.stage, RunIORow.role, RunIORow.path)
                )
            )
        return Run(**dict(row._mapping), params=params, metrics=metrics, io=io)

    def runs(self, limit: int = 50) -> list[Run]:
        """The most recent runs, newest first (without metrics and digests)."""
        from sqlalchemy import select

        with self._read() as conn:
            rows = conn.execute(
                select(RunRow.__table__).order_by(RunRow.id.desc()).limit(limit)
            ).all()
        return [Run(**dict(r._mapping)) for r in rows]

    def metric_history(self, run_id: int, key: str) -> list[tuple[int, float]]:
        """Every (step, value) logged for ``key`` in ``run_id``, in logging order."""
        from sqlalchemy import select

        with self._read() as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(
                select(RunMetricRow.step, RunMetricRow.value)
                .where(RunMetricRow.run_id == run_id, RunMetricRow.key == key)
                .order_by(RunMetricRow.id)
            ).all()
        return [(int(s), float(v)) for s, v in rows]

    def _require_run(self, conn: Connection, run_id: int) -> None:
        from sqlalchemy import select

        if conn.execute(select(RunRow.id).where(RunRow.id == run_id)).first() is None:
            raise NotFound(f"no run {run_id} in the registry")


def _insert_params(conn: Connection, run_id: int, params: Mapping[str, object]) -> None:
    from sqlalchemy import delete, insert

    keys = [_key(k) for k in params]
    conn.execute(delete(RunParamRow).where(RunParamRow.run_id == run_id, RunParamRow.key.in_(keys)))
    conn.execute(
        insert(RunParamRow),
        [
            {"run_id": run_id, "key": k, "value": _jsonable(k, v)}
            for k, v in zip(keys, params.values(), strict=True)
        ],
    )


def _key(key: object) -> str:
    if not isinstance(key, str) or not key or len(key) > 250:
        raise RegistryError(f"metric and parameter names must be 1-250 characters, not {key!r}")
    return key


def _number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)  # type: ignore[arg-type]  # numpy scalars and the like
        except (TypeError, ValueError):
            raise RegistryError(f"metric '{key}' must be a number, not {value!r}") from None
    result = float(value)
    if math.isinf(result):
        raise RegistryError(f"metric '{key}' is infinite; log a finite number (or NaN)")
    return result


def _jsonable(key: str, value: object) -> object:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise RegistryError(
            f"parameter '{key}' is a {type(value).__name__}, which cannot be stored; "
            "log a number, string, bool, list or dict"
        ) from None
    return value
