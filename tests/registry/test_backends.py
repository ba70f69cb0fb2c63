"""The registry contract on SQLite and on PostgreSQL at 127.0.0.1:5432.

Without PostgreSQL these tests skip locally; under CI=true they fail instead.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mlgate.testing import RegistryContract


class TestSqliteRegistry(RegistryContract):
    @pytest.fixture(autouse=True)
    def _setup(self, tmp_path: Path) -> None:
        self.base = tmp_path

    def make_url(self) -> str:
        return f"sqlite:///{self.base / uuid.uuid4().hex}.db"


class TestPostgresRegistry(RegistryContract):
    @pytest.fixture(autouse=True)
    def _setup(self, request: pytest.FixtureRequest) -> None:
        self.request = request

    def make_url(self) -> str:
        return str(self.request.getfixturevalue("pg_database"))
