"""Tuning on Dask uses the cluster of the executor tests."""

from __future__ import annotations

from tests.execute.conftest import dask_scheduler

__all__ = ["dask_scheduler"]
