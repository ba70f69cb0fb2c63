"""Helpers shared by the benchmarks: competitor virtualenvs, timing, reporting.

The machines are shared and noisy, so every benchmark runs mlgate and its competitor
on the same workload in the same run, alternating which goes first, and reports
medians and the ratio between them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: A fixed identity for the git repositories the benchmarks create.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@b",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@b",
    "DVC_NO_ANALYTICS": "1",
}


def dvc_bin() -> Path:
    """DVC 3.67.1 (with S3 support) in benchmarks/.venv-dvc, installed on first use."""
    return competitor_venv("dvc", ["dvc[s3]==3.67.1"]) / "dvc"


def arguments(
    doc: str | None, extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """The options every benchmark takes (--quick, --json), plus ``extra`` ones."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    parser.add_argument("--json", help="also write the results to this file")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def competitor_venv(name: str, requirements: Sequence[str]) -> Path:
    """The bin/ directory of ``benchmarks/.venv-NAME``, created and filled if missing."""
    venv = HERE / f".venv-{name}"
    marker = venv / ".installed"
    wanted = "\n".join(requirements)
    if not marker.exists() or marker.read_text() != wanted:
        print(f"installing {' '.join(requirements)} into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, *requirements], check=True)
        marker.write_text(wanted)
    return venv / "bin"


def mlgate_bin() -> Path:
    """The mlgate executable of the project's own environment."""
    found = Path(sys.executable).parent / "mlgate"
    if not found.exists():
        raise SystemExit(
            "run the benchmarks with the project's venv: .venv/bin/python benchmarks/..."
        )
    return found


def run(
    cmd: Sequence[str | os.PathLike[str]],
    cwd: Path,
    env: dict[str, str] | None = None,
    quiet: bool = True,
) -> float:
    """Run a command and return its wall time in seconds; raise if it fails."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=quiet,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        out = (done.stdout or b"").decode(errors="replace") + (done.stderr or b"").decode(
            errors="replace"
        )
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed in {cwd}:\n{out[-3000:]}")
    return elapsed


def sync() -> None:
    """Flush dirty pages so no tool pays for another's writes."""
    os.sync()


@dataclass
class Row:
    """One workload: the competitor's and mlgate's times."""

    workload: str
    target: str
    theirs: list[float] = field(default_factory=list)
    ours: list[float] = field(default_factory=list)
    min_ratio: float | None = None  # None: report only

    @property
    def ratio(self) -> float:
        return statistics.median(self.theirs) / statistics.median(self.ours)

    @property
    def met(self) -> str:
        if self.min_ratio is None:
            return "-"
        return "yes" if self.ratio >= self.min_ratio else "NO"


def alternate(rounds: int, first: Callable[[], None], second: Callable[[], None]) -> None:
    """Run two measurements ``rounds`` times, swapping their order every round."""
    for i in range(rounds):
        pair = (first, second) if i % 2 == 0 else (second, first)
        for measure in pair:
            measure()


def report(title: str, competitor: str, rows: list[Row], json_path: str | None) -> None:
    print(f"\n{title}\n")
    head = f"| workload | {competitor} median | mlgate median | ratio | target | met |"
    print(head)
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.workload} | {_fmt(statistics.median(r.theirs))} | "
            f"{_fmt(statistics.median(r.ours))} | {r.ratio:.1f}x | {r.target} | {r.met} |"
        )
    print(f"\nruns per workload: {', '.join(f'{r.workload}: {len(r.ours)}' for r in rows)}")
    if json_path:
        Path(json_path).write_text(
            json.dumps(
                [
                    {
                        **asdict(r),
                        "ratio": r.ratio,
                        "median_theirs": statistics.median(r.theirs),
                        "median_ours": statistics.median(r.ours),
                    }
                    for r in rows
                ],
                indent=2,
            )
        )


def _fmt(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fresh_dir(base: Path, name: str) -> Path:
    path = base / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
