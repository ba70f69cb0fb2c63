"""A small real project for the gate tests: breast_cancer data that scikit-learn ships,
a training script, and gates in mlgate.yaml."""

from __future__ import annotations

from pathlib import Path

TRAIN = """\
import sys
import pandas as pd
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

c = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
train = pd.read_csv("data/train.csv")
x, y = train.drop(columns=["target"]), train["target"]
model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(x, y)
sio.dump(model, "models/model.skops")
"""

CONFIG = """\
model:
  name: cancer
  path: models/model.skops
  flavor: sklearn
evaluation:
  data: data/test.csv
  target: target
  train_data: data/train.csv
gates:
  resamples: 500
  metrics:
    auc_floor: {metric: roc_auc, min: 0.9}
    auc_vs_champion: {metric: roc_auc, margin: 0.02}
    accuracy_vs_champion: {metric: accuracy, margin: 0.03}
    logloss_ceiling: {metric: log_loss, max: 0.5}
  latency: {p99_ms: 2000, batch: 1, requests: 20}
  size: {max_mb: 5}
  data:
    nulls: {max_fraction: 0.0}
    ranges: {mean_radius: [0, 100]}
    drift:
      - {method: psi, threshold: 0.25}
      - {method: ks, threshold: 0.3, columns: [mean_radius, mean_texture]}
"""


def make_gate_project(root: Path) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer(as_frame=True).frame
    data.columns = [c.replace(" ", "_") for c in data.columns]
    train, test = train_test_split(data, test_size=0.4, random_state=0, stratify=data["target"])
    (root / "data").mkdir(exist_ok=True)
    (root / "models").mkdir(exist_ok=True)
    train.to_csv(root / "data" / "train.csv", index=False)
    test.to_csv(root / "data" / "test.csv", index=False)
    (root / "train.py").write_text(TRAIN)
    (root / "mlgate.yaml").write_text(CONFIG)
