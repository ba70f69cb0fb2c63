"""mlgate's pipeline against DVC's on the same 3-stage pipeline, side by side.

    .venv/bin/python benchmarks/pipeline.py          # a few minutes
    .venv/bin/python benchmarks/pipeline.py --quick

DVC 3.67.1 is installed into benchmarks/.venv-dvc on first use (see store.py).
Workloads: `run` with everything up to date; two independent 2-second stages (mlgate
with -j 2; DVC runs stages one at a time); restoring a stage from the run cache after
switching a parameter back to a value seen before.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import GIT_ENV, Row, alternate, arguments, dvc_bin, mlgate_bin, report, run

SCRIPTS = {
    "prepare.py": "import shutil\nshutil.copy('data/raw.csv', 'data/clean.csv')\n",
    "train.py": textwrap.dedent("""\
        import yaml
        lr = yaml.safe_load(open('params.yaml'))['lr']
        rows = open('data/clean.csv').read().splitlines()
        open('model.txt', 'w').write(f'{lr} {len(rows)}')
    """),
    "evaluate.py": "import json\njson.dump({'acc': len(open('model.txt').read())}, "
    "open('metrics.json', 'w'))\n",
}

MLGATE_STAGES = """
stages:
  prepare: {cmd: python prepare.py, deps: [data/raw.csv, prepare.py], outs: [data/clean.csv]}
  train: {cmd: python train.py, deps: [data/clean.csv, train.py], params: [{params.yaml: [lr]}], outs: [model.txt]}
  evaluate: {cmd: python evaluate.py, deps: [model.txt, evaluate.py], outs: [], metrics: [metrics.json]}
  slow_a: {cmd: "sleep 2 && echo a > a.txt", outs: [a.txt]}
  slow_b: {cmd: "sleep 2 && echo b > b.txt", outs: [b.txt]}
"""

DVC_STAGES = """
stages:
  prepare: {cmd: python prepare.py, deps: [data/raw.csv, prepare.py], outs: [data/clean.csv]}
  train: {cmd: python train.py, deps: [data/clean.csv, train.py], params: [lr], outs: [model.txt]}
  evaluate: {cmd: python evaluate.py, deps: [model.txt, evaluate.py], metrics: [metrics.json]}
  slow_a: {cmd: "sleep 2 && echo a > a.txt", outs: [a.txt]}
  slow_b: {cmd: "sleep 2 && echo b > b.txt", outs: [b.txt]}
"""


def _project(base: Path, tool: str, python: Path) -> Path:
    repo = base / tool
    (repo / "data").mkdir(parents=True)
    (repo / "data" / "raw.csv").write_text("".join(f"{i},{i * 2}\n" for i in range(10_000)))
    for name, code in SCRIPTS.items():
        (repo / name).write_text(code)
    (repo / "params.yaml").write_text("lr: 0.1\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    env = {**GIT_ENV, "PATH": f"{python.parent}:{Path('/usr/bin')}:{Path('/bin')}"}
    if tool == "dvc":
        (repo / "dvc.yaml").write_text(DVC_STAGES)
        run([python.parent / "dvc", "init", "-q"], repo, env)
        run([python.parent / "dvc", "config", "core.autostage", "false"], repo, env)
    else:
        run([mlgate_bin(), "init"], repo, env)
        (repo / "mlgate.yaml").write_text(MLGATE_STAGES)
    return repo


def main() -> None:
    args = arguments(__doc__)
    rounds = 3 if args.quick else 7
    dvc = dvc_bin()
    ours = mlgate_bin()
    base = Path(tempfile.mkdtemp(prefix="mlgate-bench-pipe-"))
    try:
        # Both tools run the stage scripts with an interpreter that has PyYAML: their own.
        repos = {
            "dvc": _project(base, "dvc", dvc.parent / "python"),
            "mlgate": _project(base, "mlgate", Path(sys.executable)),
        }
        env = {
            tool: {**GIT_ENV, "PATH": f"{(dvc if tool == 'dvc' else ours).parent}:/usr/bin:/bin"}
            for tool in repos
        }
        repro = {"dvc": [dvc, "repro", "-q"], "mlgate": [ours, "run"]}
        for tool in repos:  # first run: everything executes once
            run(repro[tool], repos[tool], env[tool])

        noop = Row("`run` with everything up to date (3 + 2 stages)", ">= 5x", min_ratio=5)
        alternate(
            rounds,
            lambda: noop.theirs.append(run(repro["dvc"], repos["dvc"], env["dvc"])),
            lambda: noop.ours.append(run(repro["mlgate"], repos["mlgate"], env["mlgate"])),
        )

        parallel = Row(
            "two independent 2-second stages (mlgate -j 2)", "about 2 s vs 4 s", min_ratio=1.6
        )
        alternate(
            max(2, rounds // 2),
            lambda: parallel.theirs.append(
                run([dvc, "repro", "-q", "--force", "slow_a", "slow_b"], repos["dvc"], env["dvc"])
            ),
            lambda: parallel.ours.append(
                run(
                    [ours, "run", "--force", "-j", "2", "slow_a", "slow_b"],
                    repos["mlgate"],
                    env["mlgate"],
                )
            ),
        )

        for tool in repos:  # both have now seen lr = 0.1; let them see 0.2 once
            (repos[tool] / "params.yaml").write_text("lr: 0.2\n")
            run(repro[tool], repos[tool], env[tool])
        restore = Row(
            "restore from the run cache after switching a parameter back", ">= 3x", min_ratio=3
        )
        values = iter(["0.1", "0.2"] * rounds * 2)

        def switch(tool: str) -> float:
            (repos[tool] / "params.yaml").write_text(f"lr: {next(values)}\n")
            return run(repro[tool], repos[tool], env[tool])

        alternate(
            rounds,
            lambda: restore.theirs.append(switch("dvc")),
            lambda: restore.ours.append(switch("mlgate")),
        )
        report("mlgate vs DVC 3.67.1 (pipelines)", "DVC", [noop, parallel, restore], args.json)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
