"""Gate reports kept with the model versions they judged."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mlgate.registry._records import StoredGateReport
from mlgate.registry._schema import GateReportRow

if TYPE_CHECKING:
    from sqlalchemy import Connection


class ReportLog:
    """The gate-report half of :class:`~mlgate.registry.Registry` (mixed into it)."""

    if TYPE_CHECKING:

        def _read(self) -> AbstractContextManager[Connection]: ...

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _require_version(self, conn: Connection, name: str, version: int) -> None: ...

    def save_gate_report(
        self,
        name: str,
        version: int,
        report: Mapping[str, object],
        *,
        passed: bool,
        champion: str | None,
        actor: str,
    ) -> int:
        """Store ``report`` with ``name@version``; returns its id.

        Raises:
            NotFound: no such version.
        """
        from sqlalchemy import insert

        with self._write() as conn:
            self._require_version(conn, name, version)
            row_id = conn.execute(
                insert(GateReportRow)
                .values(
                    model=name,
                    version=version,
                    passed=passed,
                    champion=champion,
                    report=dict(report),
                    created_at=datetime.now(UTC).replace(tzinfo=None),
                    created_by=actor,
                )
                .returning(GateReportRow.id)
            ).scalar_one()
        return int(row_id)

    def gate_reports(self, name: str, version: int | None = None) -> list[StoredGateReport]:
        """The reports of ``name`` (or of one version), newest first."""
        from sqlalchemy import select

        query = select(GateReportRow).where(GateReportRow.model == name)
        if version is not None:
            query = query.where(GateReportRow.version == version)
        with self._read() as conn:
            rows = conn.execute(query.order_by(GateReportRow.id.desc())).mappings().all()
        return [
            StoredGateReport(
                id=r["id"],
                model=r["model"],
                version=r["version"],
                passed=r["passed"],
                champion=r["champion"],
                report=r["report"],
                created_at=r["created_at"],
                created_by=r["created_by"],
            )
            for r in rows
        ]
