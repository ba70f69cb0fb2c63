"""schemathesis fuzzes the server's own OpenAPI spec: no request gets a 5xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.serve.conftest import Server


def test_schemathesis_finds_no_server_error(server: Server, tmp_path: Path) -> None:
    cli = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    done = subprocess.run(
        [
            cli,
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "7",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,  # its cache directory goes there, not into the repository
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.split("SUMMARY")[-1]
