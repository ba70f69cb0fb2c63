"""Signatures (input columns and dtypes, output) and input examples of model versions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mlgate.evaluate import Predictions

if TYPE_CHECKING:
    import pandas as pd

EXAMPLE_ROWS = 5


def infer_signature(frame: pd.DataFrame, pred: Predictions) -> dict[str, Any]:
    """``{"inputs": [{"name", "dtype"}...], "output": {...}}`` from example rows and the
    model's predictions on them."""
    inputs = [{"name": str(c), "dtype": str(frame[c].dtype)} for c in frame.columns]
    if pred.values is not None:
        output: dict[str, Any] = {"kind": "regression", "dtype": "float64"}
    else:
        output = {
            "kind": "classification",
            "classes": [_plain(c) for c in pred.classes],
            "proba": pred.proba is not None,
        }
    return {"inputs": inputs, "output": output}


def input_example(frame: pd.DataFrame) -> dict[str, Any]:
    """The first rows of ``frame`` in MLflow's ``dataframe_split`` shape (JSON-safe)."""
    head = frame.head(EXAMPLE_ROWS)
    data = json.loads(head.to_json(orient="split", index=False))
    return {"columns": data["columns"], "data": data["data"]}


def _plain(value: object) -> object:
    item = getattr(value, "item", None)
    return item() if callable(item) else value
