"""Connecting to the registry database, checking its schema, and migrating it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate._errors import RegistryUnavailable, SchemaMismatch
from mlgate.registry._schema import SCHEMA_REVISION

if TYPE_CHECKING:
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def resolve_url(url: str, root: str | None = None) -> str:
    """Make a relative ``sqlite:///path`` relative to the repository ``root``."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and root is not None:
        path = url[len(prefix) :]
        if path and path != ":memory:" and not os.path.isabs(path):
            return prefix + os.path.join(root, path)
    return url


def shown(url: str) -> str:
    """``url`` without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable registry URL>"


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with a busy timeout, or PostgreSQL.

    Raises:
        RegistryUnavailable: the URL is malformed or names an unsupported database.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                directory = os.path.dirname(os.path.abspath(path))
                try:
                    os.makedirs(directory, exist_ok=True)
                except OSError as exc:
                    raise RegistryUnavailable(
                        f"cannot create {directory} for the registry {shown(url)} "
                        f"({exc.strerror}); fix `registry` in mlgate.yaml or the path's parents"
                    ) from None
            engine = create_engine(url, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: object, _record: object) -> None:
                cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()

            return engine
        if url.startswith("postgresql"):
            return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise RegistryUnavailable(f"registry URL {shown(url)} is not valid: {exc}") from None
    raise RegistryUnavailable(
        f"registry URL {shown(url)} is not supported; use sqlite:///path or "
        "postgresql+psycopg://user@host/db (set `registry` in mlgate.yaml or MLGATE_REGISTRY)"
    )


def unavailable(exc: BaseException, url: str) -> RegistryUnavailable:
    """Describe a failure to talk to the database at ``url``, with its fix."""
    text = str(getattr(exc, "orig", exc) or exc)
    where = shown(url)
    lowered = text.lower()
    if "password authentication failed" in lowered or "role" in lowered and "not exist" in lowered:
        return RegistryUnavailable(
            f"the registry {where} refused the credentials ({text.strip().splitlines()[0]}); "
            "fix the user or password in MLGATE_REGISTRY or `registry` in mlgate.yaml"
        )
    if "database" in lowered and "does not exist" in lowered:
        return RegistryUnavailable(
            f"the registry database in {where} does not exist; create it (createdb) and run "
            "`mlgate registry upgrade`"
        )
    if "unable to open database" in lowered or "readonly database" in lowered:
        return RegistryUnavailable(
            f"cannot open the registry {where}: {text}; check the path and its permissions"
        )
    return RegistryUnavailable(
        f"cannot reach the registry {where} ({text.strip().splitlines()[0] if text else exc}); "
        "check that the database server runs and the URL is right"
    )


def known_revisions() -> list[str]:
    """Every migration this mlgate ships, oldest first."""
    return sorted(p.stem for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database, or None when it has none yet."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return None if row is None else str(row[0])
    except SQLAlchemyError as exc:  # OperationalError (unreachable, refused) included
        raise unavailable(exc, url) from None


def check_schema(engine: Engine) -> None:
    """Refuse to work on a registry whose schema is not the one this code speaks.

    Raises:
        SchemaMismatch: naming `mlgate registry upgrade`, or telling to upgrade mlgate.
    """
    revision = current_revision(engine)
    if revision == SCHEMA_REVISION:
        return
    where = shown(engine.url.render_as_string(hide_password=False))
    if revision is None:
        raise SchemaMismatch(
            f"the registry {where} has no mlgate schema yet; run `mlgate registry upgrade`"
        )
    if revision in known_revisions():
        raise SchemaMismatch(
            f"the registry {where} has schema {revision}, older than this mlgate's "
            f"{SCHEMA_REVISION}; run `mlgate registry upgrade` (back the database up first)"
        )
    raise SchemaMismatch(
        f"the registry {where} has schema {revision}, which this mlgate does not know: it was "
        "written by a newer mlgate. Upgrade mlgate (pip install -U mlgate)"
    )


def upgrade(engine: Engine, target: str = SCHEMA_REVISION) -> tuple[str | None, str]:
    """Apply the missing migrations up to ``target`` in one transaction.

    Returns:
        The (from, to) revisions.
    """
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import SQLAlchemyError

    before = current_revision(engine)
    if before is not None and before not in known_revisions():
        check_schema(engine)  # raises: written by a newer mlgate
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, target)
    except SQLAlchemyError as exc:
        raise unavailable(exc, engine.url.render_as_string(hide_password=False)) from None
    return before, target
