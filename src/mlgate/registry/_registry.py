"""The registry API: models, versions, and aliases that move by compare-and-set."""

from __future__ import annotations

import getpass
import re
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from mlgate._errors import AliasConflict, NotFound, RegistryError
from mlgate.registry._deploy import DeployLog
from mlgate.registry._engine import (
    check_schema,
    current_revision,
    make_engine,
    resolve_url,
    unavailable,
    upgrade,
)
from mlgate.registry._records import AliasEvent, Lineage, Model, ModelVersion
from mlgate.registry._reports import ReportLog
from mlgate.registry._runs import RunLog
from mlgate.registry._schema import (
    SCHEMA_REVISION,
    AliasEventRow,
    AliasRow,
    ModelRow,
    VersionRow,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

# Plain column selects: executed on a Connection, rows map column names to values.
_VERSIONS = VersionRow.__table__
_MODELS = ModelRow.__table__
_EVENTS = AliasEventRow.__table__

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")
#: Aliases that would be ambiguous in NAME@REF references.
RESERVED_ALIASES = frozenset({"latest", "head", "none", "null"})


def default_actor() -> str:
    """Who is acting: user@host, as recorded in the history."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _default_command() -> str:
    """This process's command line as the history shows it: ``mlgate ci --deploy``
    whether it runs as the ``mlgate`` script or as ``python -m mlgate``."""
    import os.path
    import shlex

    path = sys.argv[0] if sys.argv and sys.argv[0] else "python"
    program = os.path.basename(path)
    if program == "__main__.py":  # python -m PACKAGE
        program = os.path.basename(os.path.dirname(path))
    return shlex.join([program, *sys.argv[1:]])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Registry(RunLog, ReportLog, DeployLog):
    """The single source of truth for model versions, aliases and their history.

    Thread safety: one instance may be shared by threads (each call takes its own
    connection from the pool). Every method raises :class:`~mlgate.RegistryError`
    subclasses: ``RegistryUnavailable`` when the database cannot be reached,
    ``SchemaMismatch`` when its schema is not this code's, ``NotFound`` and
    ``AliasConflict`` for requests that cannot be applied.
    """

    def __init__(
        self, url: str, *, root: str | None = None, check: bool = True, create: bool = False
    ) -> None:
        """Connect to the registry at ``url``.

        Args:
            root: The repository root a relative ``sqlite:///`` path is relative to.
            check: Refuse a registry whose schema is not this code's.
            create: Give an *empty* database the schema first (nothing can be lost);
                an older schema still refuses, naming `mlgate registry upgrade`.
        """
        self.url = resolve_url(url, root)
        self._engine = make_engine(self.url)
        if url.startswith("sqlite"):
            _immediate_writes(self._engine)
        if create and current_revision(self._engine) is None:
            upgrade(self._engine)
        if check:
            try:
                check_schema(self._engine)
            except BaseException:
                self._engine.dispose()
                raise

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def upgrade(self, target: str = SCHEMA_REVISION) -> tuple[str | None, str]:
        """Migrate the schema to this code's (or to ``target``); returns (from, to)."""
        return upgrade(self._engine, target)

    # -- transactions --------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        from sqlalchemy.exc import OperationalError

        try:
            with self._engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise unavailable(exc, self.url) from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        from sqlalchemy.exc import OperationalError

        try:
            with self._engine.connect() as conn:
                conn = conn.execution_options(mlgate_write=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise unavailable(exc, self.url) from None

    # -- models and versions -------------------------------------------------------------
    def register(
        self,
        name: str,
        *,
        artifact_digest: str,
        flavor: str,
        signature: Mapping[str, object] | None = None,
        input_example: object | None = None,
        run_id: int | None = None,
        git_commit: str | None = None,
        data_digests: Mapping[str, str] | None = None,
        params: Mapping[str, object] | None = None,
        metrics: Mapping[str, float] | None = None,
        actor: str | None = None,
    ) -> ModelVersion:
        """Record a new version of ``name`` (creating the model on first use).

        Version numbers increase by one per model, also under concurrent registration.
        """
        from sqlalchemy import insert, select, update

        check_name(name)
        now = _now()
        with self._write() as conn:
            if conn.execute(select(ModelRow.name).where(ModelRow.name == name)).first() is None:
                conn.execute(
                    insert(ModelRow).values(
                        name=name, description="", next_version=1, created_at=now
                    )
                )
            version = (
                conn.execute(
                    update(ModelRow)
                    .where(ModelRow.name == name)
                    .values(next_version=ModelRow.next_version + 1)
                    .returning(ModelRow.next_version)
                ).scalar_one()
                - 1
            )
            values: dict[str, Any] = dict(
                model=name,
                version=version,
                artifact_digest=artifact_digest,
                flavor=flavor,
                signature=dict(signature) if signature is not None else None,
                input_example=input_example,
                run_id=run_id,
                git_commit=git_commit,
                data_digests=dict(data_digests or {}),
                params=dict(params or {}),
                metrics=dict(metrics or {}),
                created_at=now,
                created_by=actor or default_actor(),
            )
            conn.execute(insert(VersionRow).values(**values))
        return ModelVersion(**values)

    def get(self, name: str, version: int) -> ModelVersion:
        """One version.

        Raises:
            NotFound: naming what exists instead.
        """
        from sqlalchemy import select

        with self._read() as conn:
            row = conn.execute(
                select(_VERSIONS).where(VersionRow.model == name, VersionRow.version == version)
            ).first()
            if row is None:
                self._missing_version(conn, name, version)
        return _version(row._mapping)

    def resolve(self, ref: str) -> ModelVersion:
        """``NAME@ALIAS``, ``NAME@VERSION`` or ``NAME`` (its latest version)."""
        name, _, target = ref.partition("@")
        if not target or target == "latest":
            versions = self.versions(name)
            if not versions:
                raise NotFound(f"model '{name}' has no versions yet; register one first")
            return versions[-1]
        if target.isdigit():
            return self.get(name, int(target))
        version = self.alias(name, target)
        if version is None:
            raise NotFound(
                f"model '{name}' has no alias '{target}'; set it with "
                f"`mlgate alias set {name} {target} VERSION --reason ...`"
            )
        return self.get(name, version)

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first.

        Raises:
            NotFound: the model does not exist.
        """
        from sqlalchemy import select

        with self._read() as conn:
            self._require_model(conn, name)
            rows = conn.execute(
                select(_VERSIONS).where(VersionRow.model == name).order_by(VersionRow.version)
            ).all()
        return [_version(r._mapping) for r in rows]

    def models(self) -> list[Model]:
        """Every model, by name, with its latest version and aliases."""
        from sqlalchemy import func, select

        with self._read() as conn:
            models = conn.execute(select(_MODELS).order_by(ModelRow.name)).all()
            latest = dict(
                conn.execute(
                    select(VersionRow.model, func.max(VersionRow.version)).group_by(
                        VersionRow.model
                    )
                ).all()
            )
            aliases: dict[str, dict[str, int]] = {}
            for model, alias, version in conn.execute(
                select(AliasRow.model, AliasRow.alias, AliasRow.version)
            ):
                aliases.setdefault(model, {})[alias] = version
        return [
            Model(m.name, m.description, latest.get(m.name), aliases.get(m.name, {}), m.created_at)
            for m in models
        ]

    # -- aliases -------------------------------------------------------------------------
    def alias(self, name: str, alias: str) -> int | None:
        """The version ``alias`` of ``name`` points to, or None."""
        from sqlalchemy import select

        with self._read() as conn:
            return conn.execute(
                select(AliasRow.version).where(AliasRow.model == name, AliasRow.alias == alias)
            ).scalar_one_or_none()

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | None,
        *,
        expected: int | None,
        reason: str,
        actor: str | None = None,
        command: str | None = None,
    ) -> AliasEvent:
        """Move ``alias`` to ``version`` (None deletes it) if it still points to ``expected``.

        The move and its history event are one transaction, so two concurrent moves
        cannot both win: the loser gets :class:`~mlgate.AliasConflict` with the state it
        lost to, and the history holds exactly the moves that happened.

        Args:
            expected: The version the caller believes the alias has now (None: unset).
            reason: Why; recorded in the history.

        Raises:
            AliasConflict: the alias does not point to ``expected`` any more.
            NotFound: the model or version does not exist.
            RegistryError: the alias name is malformed or reserved, or no reason given.
        """
        check_alias(alias)
        if not reason.strip():
            raise RegistryError(
                "an alias move needs a reason (--reason TEXT); it goes into the history"
            )
        with self._write() as conn:
            return self._move_alias(conn, name, alias, version, expected, reason, actor, command)

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
    ) -> AliasEvent:
        """:meth:`set_alias` inside the caller's transaction; on PostgreSQL it also
        notifies listening servers (delivered when the transaction commits)."""
        from sqlalchemy import delete, insert, update

        now = _now()
        self._require_model(conn, name)
        if version is not None:
            self._require_version(conn, name, version)
        where = (AliasRow.model == name, AliasRow.alias == alias)
        if expected is None:
            if self._current(conn, name, alias) is not None:
                raise self._conflict(conn, name, alias, expected)
            if version is not None:
                conn.execute(
                    insert(AliasRow).values(
                        model=name, alias=alias, version=version, updated_at=now
                    )
                )
        else:
            statement = (
                update(AliasRow)
                .where(*where, AliasRow.version == expected)
                .values(version=version, updated_at=now)
                if version is not None
                else delete(AliasRow).where(*where, AliasRow.version == expected)
            )
            if conn.execute(statement).rowcount != 1:
                raise self._conflict(conn, name, alias, expected)
        event: dict[str, Any] = dict(
            model=name,
            alias=alias,
            from_version=expected,
            to_version=version,
            actor=actor or default_actor(),
            reason=reason,
            command=command if command is not None else _default_command(),
            at=now,
        )
        event_id = conn.execute(
            insert(AliasEventRow).values(**event).returning(AliasEventRow.id)
        ).scalar_one()
        notify(conn, f"{name}@{alias}")
        return AliasEvent(id=int(event_id), **event)

    def history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every move of the aliases of ``name`` (or of one alias), oldest first."""
        from sqlalchemy import select

        with self._read() as conn:
            self._require_model(conn, name)
            query = select(_EVENTS).where(AliasEventRow.model == name)
            if alias is not None:
                query = query.where(AliasEventRow.alias == alias)
            rows = conn.execute(query.order_by(AliasEventRow.id)).all()
        return [AliasEvent(**dict(r._mapping)) for r in rows]

    def lineage(self, ref: str) -> Lineage:
        """Where ``ref`` (NAME@VERSION or NAME@ALIAS) came from: its run and data digests."""
        version = self.resolve(ref)
        run = self.run(version.run_id) if version.run_id is not None else None
        return Lineage(version, run)

    def previous(self, name: str, alias: str) -> int | None:
        """The version ``alias`` pointed to before its last move (what rollback restores)."""
        events = self.history(name, alias)
        return events[-1].from_version if events else None

    # -- helpers -------------------------------------------------------------------------
    def _current(self, conn: Connection, name: str, alias: str) -> int | None:
        from sqlalchemy import select

        return conn.execute(
            select(AliasRow.version).where(AliasRow.model == name, AliasRow.alias == alias)
        ).scalar_one_or_none()

    def _conflict(
        self, conn: Connection, name: str, alias: str, expected: int | None
    ) -> AliasConflict:
        current = self._current(conn, name, alias)

        def show(v: int | None) -> str:
            return "unset" if v is None else f"version {v}"

        return AliasConflict(
            f"alias '{alias}' of model '{name}' is {show(current)}, not {show(expected)} as "
            "expected: someone moved it meanwhile. Check `mlgate history "
            f"{name}` and retry with the current version",
            current,
        )

    def _require_model(self, conn: Connection, name: str) -> None:
        from sqlalchemy import select

        if conn.execute(select(ModelRow.name).where(ModelRow.name == name)).first() is None:
            known = conn.execute(select(ModelRow.name).order_by(ModelRow.name).limit(10)).scalars()
            listed = ", ".join(known) or "none yet"
            raise NotFound(f"no model named '{name}' in the registry (models: {listed})")

    def _require_version(self, conn: Connection, name: str, version: int) -> None:
        from sqlalchemy import select

        found = conn.execute(
            select(VersionRow.version).where(
                VersionRow.model == name, VersionRow.version == version
            )
        ).first()
        if found is None:
            self._missing_version(conn, name, version)

    def _missing_version(self, conn: Connection, name: str, version: int) -> NoReturn:
        from sqlalchemy import func, select

        self._require_model(conn, name)
        latest = conn.execute(
            select(func.max(VersionRow.version)).where(VersionRow.model == name)
        ).scalar_one_or_none()
        raise NotFound(
            f"model '{name}' has no version {version} (versions: "
            f"{'1..' + str(latest) if latest else 'none yet'})"
        )


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise RegistryError(
            f"model name '{name}' is not valid: use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit, at most 200 characters"
        )


def check_alias(alias: str) -> None:
    if alias in RESERVED_ALIASES:
        raise RegistryError(
            f"alias '{alias}' is reserved (it means something else in NAME@REF); choose "
            "another name such as production or staging"
        )
    if alias.isdigit() or not _ALIAS.match(alias):
        raise RegistryError(
            f"alias '{alias}' is not valid: use lowercase letters, digits, '_' and '-', "
            "starting with a letter"
        )


def _version(row: Mapping[Any, Any]) -> ModelVersion:
    return ModelVersion(**dict(row))


def _immediate_writes(engine: Any) -> None:
    """Make SQLite write transactions take the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail with "database is locked"
    without waiting when another writer got there first; an immediate one waits its turn
    (busy_timeout), which is what concurrent alias moves need.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_driver_begin(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get("mlgate_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def notify(conn: Connection, payload: str) -> None:
    """Wake servers that LISTEN on PostgreSQL (a no-op elsewhere, where they poll)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SELECT pg_notify('mlgate', :payload)"), {"payload": payload})
