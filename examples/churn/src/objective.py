"""The tuning objective: cross-validated ROC AUC of a logistic regression."""

from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# Relative to this file: on a Dask worker the inputs live in a directory of their own.
TRAIN = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "train.csv")
X = TRAIN.drop(columns=["churned", "segment"])
Y = TRAIN["churned"]


def objective(trial):
    c = trial.suggest_float("C", 1e-3, 10.0, log=True)
    solver = trial.suggest_categorical("solver", ["lbfgs", "liblinear"])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, solver=solver, max_iter=1000))
    return float(cross_val_score(model, X, Y, cv=3, scoring="roc_auc").mean())
