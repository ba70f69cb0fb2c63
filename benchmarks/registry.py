"""mlgate's registry against MLflow's, both on SQLite, side by side.

    .venv/bin/python benchmarks/registry.py            # a few minutes
    .venv/bin/python benchmarks/registry.py --quick

MLflow (with scikit-learn) is installed into benchmarks/.venv-mlflow on first use. Each
side runs in its own process and environment; times are taken inside the process,
after imports, and the script prints medians and ratios.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, arguments, competitor_venv, report

MLFLOW_WORKER = r"""
import json, os, pickle, sys, time, statistics, warnings
warnings.filterwarnings("ignore")
import mlflow
from mlflow import MlflowClient
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

base, metric_calls, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mlflow.set_tracking_uri(f"sqlite:///{base}/mlflow.db")
mlflow.set_experiment("bench")
out = {"log": [], "resolve": [], "register": []}
for _ in range(rounds):
    with mlflow.start_run():
        start = time.perf_counter()
        for step in range(metric_calls):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        out["log"].append((time.perf_counter() - start) / metric_calls)
X, y = load_breast_cancer(return_X_y=True)
model = LogisticRegression(max_iter=5000).fit(X, y)
client = MlflowClient()
for i in range(rounds):
    start = time.perf_counter()
    with mlflow.start_run():
        mlflow.log_params({"C": 1.0, "max_iter": 5000})
        mlflow.log_metric("accuracy", 0.95)
        info = mlflow.sklearn.log_model(model, name="model",
                                        pip_requirements=["scikit-learn"])
        mv = mlflow.register_model(info.model_uri, "churn")
    out["register"].append(time.perf_counter() - start)
client.set_registered_model_alias("churn", "production", mv.version)
for _ in range(200):
    start = time.perf_counter()
    client.get_model_version_by_alias("churn", "production").source
    out["resolve"].append(time.perf_counter() - start)
out["model_bytes"] = len(pickle.dumps(model))
print("RESULT " + json.dumps(out))
"""

MLGATE_WORKER = r"""
import json, os, sys, time
import mlgate
from mlgate.config import init_project
from mlgate.registry import Registry
from mlgate.store import Workspace
from mlgate.config import load_project

base = sys.argv[1]
values, rounds, model_bytes = (int(a) for a in sys.argv[2:5])
os.chdir(base)
init_project(base)
url = f"sqlite:///{base}/.mlgate/registry.db"
Registry(url, check=False).upgrade()
os.makedirs("data", exist_ok=True)
with open("data/train.csv", "wb") as fh:
    fh.write(os.urandom(200_000))
ws = Workspace.for_project(load_project(base))
ws.add(["data/train.csv"])
out = {"log": [], "resolve": [], "register": []}
for _ in range(rounds):
    with mlgate.start_run("train") as run:
        start = time.perf_counter()
        for step in range(values):
            mlgate.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
        run.flush()
        out["log"].append((time.perf_counter() - start) / values)
reg = Registry(url, root=base)
for i in range(rounds):
    with open("model.bin", "wb") as fh:
        fh.write(os.urandom(model_bytes))
    start = time.perf_counter()
    run_id = reg.start_run("train", params={"C": 1.0, "max_iter": 5000})
    reg.log_metrics(run_id, {"accuracy": 0.95})
    artifact = ws.put_path("model.bin")
    data = {p.path: p.digest for p in ws.pointers.all()}
    reg.record_io(run_id, "train", "dep", data)
    version = reg.register("churn", artifact_digest=artifact.digest, flavor="sklearn",
                           run_id=run_id, data_digests=data, params={"C": 1.0},
                           metrics={"accuracy": 0.95})
    reg.finish_run(run_id)
    out["register"].append(time.perf_counter() - start)
reg.set_alias("churn", "production", version.version, expected=None, reason="bench")
for _ in range(200):
    start = time.perf_counter()
    reg.resolve("churn@production").artifact_digest
    out["resolve"].append(time.perf_counter() - start)
print("RESULT " + json.dumps(out))
"""


def _worker(python: Path, code: str, base: Path, *args: object) -> dict[str, list[float]]:
    done = subprocess.run(
        [str(python), "-c", code, str(base), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=base,  # MLflow writes artifacts to ./mlruns of its working directory
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]
    raise RuntimeError(f"worker failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def main() -> None:
    args = arguments(__doc__)
    rounds = 2 if args.quick else 5
    mlflow_bin = competitor_venv("mlflow", ["mlflow==3.17.2", "scikit-learn"])
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-reg-") as tmp:
        Path(tmp, "mlflow").mkdir()
        theirs = _worker(mlflow_bin / "python", MLFLOW_WORKER, Path(tmp, "mlflow"), 1000, rounds)
        ours_dir = Path(tmp, "mlgate")
        ours_dir.mkdir()
        ours = _worker(
            Path(sys.executable), MLGATE_WORKER, ours_dir, 10_000, rounds, theirs.pop("model_bytes")
        )
    rows = [
        Row(
            "log one metric value (per value; MLflow: 1,000 log_metric calls, mlgate: 10,000 "
            "values in batches)",
            ">= 50x",
            theirs["log"],
            ours["log"],
            50,
        ),
        Row(
            "resolve NAME@production to the artifact (median of 200)",
            "mlgate < 1 ms",
            theirs["resolve"],
            ours["resolve"],
        ),
        Row(
            "register a model version with lineage",
            "faster than MLflow",
            theirs["register"],
            ours["register"],
            1,
        ),
    ]
    report("mlgate vs MLflow 3.17.2 (registry, SQLite)", "MLflow", rows, args.json)
    per_value = statistics.median(ours["log"])
    print(f"\nmlgate: 10,000 metric values in {per_value * 10_000:.3f} s (target: under 1 s)")


if __name__ == "__main__":
    main()
