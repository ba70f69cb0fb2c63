"""A real Dask cluster on loopback: a scheduler and two worker processes, each with its
own scratch directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a LocalCluster with 2 worker processes (no dashboard)."""
    from distributed import LocalCluster

    scratch: Path = tmp_path_factory.mktemp("dask")
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # a free port: no clash with another cluster
        local_directory=str(scratch),
        env=AWS,
    ) as cluster:
        yield str(cluster.scheduler_address)
