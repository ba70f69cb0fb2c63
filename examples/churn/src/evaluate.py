"""Score the trained model on the held-out customers (recorded in the registry run and
shown by `mlgate metrics show`; the gates do the comparison with production)."""

import json

import pandas as pd
import skops.io as sio
from sklearn.metrics import accuracy_score, roc_auc_score

model = sio.load("models/model.skops", trusted=sio.get_untrusted_types(file="models/model.skops"))
test = pd.read_csv("data/test.csv")
x = test[list(model.feature_names_in_)]
proba = model.predict_proba(x)[:, 1]
metrics = {
    "test_auc": float(roc_auc_score(test["churned"], proba)),
    "test_accuracy": float(accuracy_score(test["churned"], model.predict(x))),
}
json.dump(metrics, open("metrics.json", "w"), indent=2)
print(f"test AUC {metrics['test_auc']:.4f}, accuracy {metrics['test_accuracy']:.4f}")
