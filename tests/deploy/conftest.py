"""The deploy tests run against the same real servers as the serve tests."""

from __future__ import annotations

from tests.serve.conftest import project, project_template, server

__all__ = ["project", "project_template", "server"]
