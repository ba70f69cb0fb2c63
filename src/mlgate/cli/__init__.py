"""The `mlgate` command line: the only layer that prints and exits."""

from __future__ import annotations

from mlgate.cli._app import cli, main

__all__ = ["cli", "main"]
