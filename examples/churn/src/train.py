"""Train with the tuned parameters; `degrade: true` in params.yaml drops the strongest
feature (the demo's deliberately worse model)."""

import json

import pandas as pd
import skops.io as sio
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

best = yaml.safe_load(open("params/best.yaml"))
params = yaml.safe_load(open("params.yaml"))
train = pd.read_csv("data/train.csv")
x = train.drop(columns=["churned", "segment"])
if params.get("degrade"):
    x = x.drop(columns=["support_calls"])
model = make_pipeline(
    StandardScaler(), LogisticRegression(C=best["C"], solver=best["solver"], max_iter=1000)
)
model.fit(x, train["churned"])
sio.dump(model, "models/model.skops")
json.dump({"train_rows": len(train)}, open("models/train.json", "w"))
print(f"trained on {len(x.columns)} features with C = {best['C']:.4g}")
