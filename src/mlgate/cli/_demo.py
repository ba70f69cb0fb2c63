"""`mlgate demo`: the bundled example, end to end, narrated.

Every step runs the real `mlgate` CLI in a throwaway repository, so what the demo
shows is exactly what a user would see.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from mlgate._errors import MlgateError


class _Story:
    def __init__(self, root: Path) -> None:
        from rich.console import Console

        self.console = Console(highlight=False)
        self.root = root
        self.env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "mlgate demo",
            "GIT_AUTHOR_EMAIL": "demo@example.invalid",
            "GIT_COMMITTER_NAME": "mlgate demo",
            "GIT_COMMITTER_EMAIL": "demo@example.invalid",
        }

    def chapter(self, title: str) -> None:
        self.console.rule(f"[bold]{title}")

    def say(self, text: str) -> None:
        self.console.print(text)

    def run(self, *args: str, cwd: Path | None = None, expect: int = 0) -> str:
        shown = " ".join(args)
        self.console.print(f"[bold cyan]$ {shown}")
        argv = [sys.executable, "-m", "mlgate", *args[1:]] if args[0] == "mlgate" else list(args)
        done = subprocess.run(
            argv, cwd=cwd or self.root, env=self.env, capture_output=True, text=True, check=False
        )
        output = (done.stdout + done.stderr).rstrip()
        if output:
            self.console.print(output, markup=False)
        if done.returncode != expect:
            raise MlgateError(
                f"demo step `{shown}` exited with {done.returncode}, not {expect} as it should"
            )
        if expect:
            self.console.print(f"[yellow](exit code {done.returncode}, as expected)")
        return done.stdout


def _write_customers(path: Path, rows: int, seed: int, shift: float) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fh.write("customer_id,tenure_months,monthly_spend,support_calls,churned\n")
        for i in range(rows):
            tenure = rng.randint(1, 72)
            spend = round(rng.gauss(60 + shift, 15), 2)
            calls = rng.randint(0, 6)
            churn = int(rng.random() < 0.1 + 0.04 * calls - 0.002 * tenure)
            fh.write(f"{i},{tenure},{spend},{calls},{churn}\n")


def _write_images(directory: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (directory / f"img_{i:04d}.bin").write_bytes(rng.randbytes(4096))


@click.command("demo")
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    default=None,
    help="Build the demo project in this directory and leave it there.",
)
def demo_cmd(keep: str | None) -> None:
    """Run the bundled example end to end in a temporary directory."""
    if shutil.which("git") is None:
        raise MlgateError("the demo needs git on PATH: it versions the example in a git repository")
    base = Path(keep).resolve() if keep else Path(tempfile.mkdtemp(prefix="mlgate-demo-"))
    if keep and base.exists() and any(base.iterdir()):
        raise MlgateError(f"{base} is not empty; choose a new directory for --keep")
    try:
        _tell(base)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


def _tell(base: Path) -> None:
    project = base / "churn"
    project.mkdir(parents=True)
    remote = base / "remote"
    s = _Story(project)

    s.chapter("1. A repository with data")
    s.run("git", "init", "-q", "-b", "main")
    s.run("mlgate", "init")
    _write_customers(project / "data" / "customers.csv", 20_000, seed=1, shift=0.0)
    _write_images(project / "data" / "images", 300, seed=1)
    s.say("Generated data/customers.csv (20,000 rows) and data/images/ (300 files).")
    s.run("mlgate", "add", "data/customers.csv", "data/images", "-q")
    s.run("git", "add", "-A")
    s.run("git", "commit", "-q", "-m", "data v1")

    s.chapter("2. New data arrives: mlgate sees exactly what changed")
    _write_customers(project / "data" / "customers.csv", 20_000, seed=2, shift=8.0)
    (project / "data" / "images" / "img_0007.bin").write_bytes(b"relabelled")
    (project / "data" / "images" / "img_new.bin").write_bytes(b"new sample")
    s.run("mlgate", "status")
    s.run("mlgate", "add", "data/customers.csv", "data/images", "-q")
    s.run("git", "add", "-A")
    s.run("git", "commit", "-q", "-m", "data v2")

    s.chapter("3. Share it: push to a remote, pull on a fresh clone")
    s.run("mlgate", "push", "--remote", remote.as_uri(), "-q")
    clone = base / "clone"
    s.run("git", "clone", "-q", str(project), str(clone))
    s.run("mlgate", "pull", "--remote", remote.as_uri(), "-q", cwd=clone)
    s.run("mlgate", "status", cwd=clone)

    s.chapter("4. Time travel: the data of any commit comes back from the cache")
    s.run("git", "checkout", "-q", "HEAD~1", "--", "mlgate.lock")
    s.run("mlgate", "checkout", "-q")
    first = (project / "data" / "customers.csv").read_text().splitlines()[1]
    s.say(f"data/customers.csv is v1 again; its first row: {first}")
    s.run("git", "checkout", "-q", "HEAD", "--", "mlgate.lock")
    s.run("mlgate", "checkout", "-q")
    s.run("mlgate", "gc", "--all-commits")

    s.chapter("5. A pipeline that rebuilds only what changed")
    _write_pipeline(project)
    s.run("mlgate", "dag")
    s.run("mlgate", "run", "-j", "2")
    s.run("mlgate", "run")
    _params(project, c=0.05)
    s.say("Changed params.yaml (C 1.0 -> 0.05):")
    s.run("mlgate", "run", "--dry")
    s.run("mlgate", "run")
    _params(project, c=1.0)
    s.say("Back to C = 1.0: those exact inputs ran before, so nothing is recomputed:")
    s.run("mlgate", "run")
    s.run("mlgate", "metrics", "show")

    s.chapter("6. The model in the registry, with its lineage and an audited alias")
    s.run("mlgate", "register", "churn", "models/model.skops", "--flavor", "sklearn")
    s.run("mlgate", "alias", "set", "churn", "production", "1", "--reason", "first model")
    s.run("mlgate", "lineage", "churn@production")

    s.chapter("7. Gates: a candidate must be shown not worse than the champion")
    s.say(
        "A change drops the strongest feature (support_calls). Its accuracy looks close, "
        "but the paired tests on the same rows see that it is worse:"
    )
    _params(project, c=1.0, features=["tenure_months", "monthly_spend"])
    s.run("mlgate", "run")
    s.run("mlgate", "register", "churn", "models/model.skops", "--flavor", "sklearn")
    s.run("mlgate", "gate", expect=1)
    verdict = (project / "gate-report" / "report.md").read_text().splitlines()[0]
    s.say(f"gate-report/report.md begins: {verdict}")
    s.say("Another change keeps every feature and regularises a little more:")
    _params(project, c=0.5)
    s.run("mlgate", "run")
    s.run("mlgate", "register", "churn", "models/model.skops", "--flavor", "sklearn")
    s.run("mlgate", "gate")
    s.run("mlgate", "alias", "set", "churn", "production", "3", "--reason", "passed the gates")
    s.run("mlgate", "history", "churn")

    s.chapter("Done")
    s.say(
        "Versioned data by content, shared it through a remote, restored an older version, "
        "rebuilt only what changed, restored a result from the run cache, registered the "
        "model with its lineage, and let paired statistical gates block a worse candidate "
        "and pass a sound one. The deployment chapters join this demo as they land."
    )


_PREPARE = """\
import pandas as pd
rows = pd.read_csv("data/customers.csv")
test = rows["customer_id"] % 4 == 0
columns = ["tenure_months", "monthly_spend", "support_calls", "churned"]
rows.loc[~test, columns].to_csv("data/train.csv", index=False)
rows.loc[test, columns].to_csv("data/test.csv", index=False)
print(f"prepared {(~test).sum()} training and {test.sum()} test rows")
"""

_TRAIN = """\
import json
import pandas as pd
import skops.io as sio
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

params = yaml.safe_load(open("params.yaml"))
train = pd.read_csv("data/train.csv")
x = train[params["features"]]
model = make_pipeline(StandardScaler(), LogisticRegression(C=params["C"])).fit(x, train["churned"])
sio.dump(model, "models/model.skops")
accuracy = float(model.score(x, train["churned"]))
json.dump({"train_accuracy": accuracy}, open("metrics.json", "w"))
print(f"trained on {len(params['features'])} features with C = {params['C']}: "
      f"training accuracy {accuracy:.3f}")
"""

_FEATURES = ["tenure_months", "monthly_spend", "support_calls"]


def _params(project: Path, c: float, features: list[str] | None = None) -> None:
    chosen = ", ".join(features or _FEATURES)
    (project / "params.yaml").write_text(f"C: {c}\nfeatures: [{chosen}]\n")


_GATES = """\
model:
  name: churn
  path: models/model.skops
evaluation:
  data: data/test.csv
  target: churned
  train_data: data/train.csv
gates:
  metrics:
    auc_floor: {metric: roc_auc, min: 0.6}
    auc_not_worse: {metric: roc_auc, margin: 0.005}
    log_loss_not_worse: {metric: log_loss, margin: 0.002}
  latency: {p99_ms: 50, batch: 1, requests: 50}
  size: {max_mb: 1}
  data:
    nulls: {max_fraction: 0.0}
    drift:
      - {method: psi, threshold: 0.2}
"""


def _write_pipeline(project: Path) -> None:
    (project / "src").mkdir(exist_ok=True)
    (project / "models").mkdir(exist_ok=True)
    (project / "src" / "prepare.py").write_text(_PREPARE)
    (project / "src" / "train.py").write_text(_TRAIN)
    _params(project, c=1.0)
    config = (project / "mlgate.yaml").read_text().replace("stages: {}\n", "") + _GATES
    py = sys.executable
    (project / "mlgate.yaml").write_text(
        config
        + f"""stages:
  prepare:
    cmd: {py} src/prepare.py
    deps: [data/customers.csv, src/prepare.py]
    outs: [data/train.csv, data/test.csv]
  train:
    cmd: {py} src/train.py
    deps: [data/train.csv, src/train.py]
    params: [params.yaml]
    outs: [models/model.skops]
    metrics: [metrics.json]
  images_index:
    cmd: ls data/images > data/images.txt
    deps: [data/images]
    outs: [data/images.txt]
"""
    )
