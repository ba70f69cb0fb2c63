"""Model flavors: load and predict for scikit-learn (skops), ONNX, trusted Python
loaders and (only with ``trust: true``) pickle; signatures and input examples."""

from __future__ import annotations

from mlgate.models._artifact import materialise_artifact
from mlgate.models._model import FLAVORS, LoadedModel, load_model
from mlgate.models._signature import EXAMPLE_ROWS, infer_signature, input_example

__all__ = [
    "EXAMPLE_ROWS",
    "FLAVORS",
    "LoadedModel",
    "infer_signature",
    "input_example",
    "load_model",
    "materialise_artifact",
]
