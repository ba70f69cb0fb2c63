"""Train a logistic regression and export it to ONNX (skl2onnx), the format served."""

import numpy as np
import pandas as pd
import yaml
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

params = yaml.safe_load(open("params.yaml"))
train = pd.read_csv("data/train.csv")
x = train.drop(columns=["target"]).to_numpy(np.float32)
model = make_pipeline(StandardScaler(), LogisticRegression(C=params["C"], max_iter=2000))
model.fit(x, train["target"])
onx = to_onnx(model, x[:1], options={"zipmap": False})
with open("models/model.onnx", "wb") as fh:
    fh.write(onx.SerializeToString())
print(f"trained with C = {params['C']}, exported to ONNX")
