"""Loading a stored model by flavor, and what a loaded model offers."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mlgate._errors import InputRejected, ModelError
from mlgate.evaluate import Predictions

if TYPE_CHECKING:
    import pandas as pd

FLAVORS = ("sklearn", "onnx", "python", "pickle")


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to predict on a DataFrame of input columns.

    Attributes:
        flavor: How it was loaded.
        task: ``classification`` or ``regression``.
        trusted: True when it was loaded from pickle (arbitrary code) on ``trust: true``.
        columns: The input columns it expects, in order, when it declares them.
        accepts_arrays: It may be given a plain 2-D array whose columns are in the order
            of ``columns`` (or of the signature) instead of a DataFrame: the server's fast
            path for numeric rows.
    """

    flavor: str
    task: str
    predict_fn: Callable[[pd.DataFrame | np.ndarray], Predictions] = field(repr=False)
    trusted: bool = False
    columns: tuple[str, ...] = ()
    accepts_arrays: bool = False

    def predict(self, frame: pd.DataFrame | np.ndarray) -> Predictions:
        """Predictions for every row of ``frame`` (a 2-D array only when
        ``accepts_arrays``; the caller guarantees its column order).

        Raises:
            ModelError: the model rejects the input (the message says why).
        """
        if isinstance(frame, np.ndarray):
            if not self.accepts_arrays:
                raise ModelError(f"the {self.flavor} model needs named columns, not an array")
        elif self.columns and tuple(frame.columns) != self.columns:
            missing = [c for c in self.columns if c not in frame.columns]
            if missing:
                raise InputRejected(
                    f"the input lacks column(s) {', '.join(missing)} that the model needs"
                )
            frame = frame[list(self.columns)]
        try:
            return self.predict_fn(frame)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(
                f"the {self.flavor} model failed to predict: {type(exc).__name__}: {exc}"
            ) from None


def load_model(
    path: str, flavor: str, *, root: str | None = None, trust: bool = False, arrays: bool = False
) -> LoadedModel:
    """Load the model file (or directory) at ``path``.

    Args:
        flavor: ``sklearn`` (skops), ``onnx``, ``python:module:function`` (trusted code
            from the repository, called with the path) or ``pickle``.
        trust: Required for ``pickle``, and for skops files holding types outside its
            safe list: both can run arbitrary code when loaded.
        arrays: Hand scikit-learn models arrays in their column order instead of frames
            (the server does; it silences scikit-learn's warning about missing names).

    Raises:
        ModelError: the file is missing, corrupt, of another flavor, or needs trust.
    """
    if not os.path.exists(path):
        raise ModelError(f"model file '{path}' does not exist; run the pipeline or fix the path")
    if flavor == "sklearn":
        return _sklearn(path, trust, arrays)
    if flavor == "onnx":
        return _onnx(path)
    if flavor == "pickle":
        return _pickle(path, trust)
    if flavor.startswith("python:"):
        return _python(path, flavor.removeprefix("python:"), root)
    raise ModelError(
        f"unknown model flavor '{flavor}'; use sklearn, onnx, pickle (with trust: true) or "
        "python:module:function"
    )


def _uses_column_names(model: Any) -> bool:
    """Whether the estimator selects columns by name (a ColumnTransformer anywhere)."""
    if type(model).__name__ == "ColumnTransformer":
        return True
    steps = getattr(model, "steps", None) or getattr(model, "transformer_list", None) or []
    return any(_uses_column_names(step) for _, step in steps)


def _from_estimator(model: Any, flavor: str, trusted: bool, arrays: bool = False) -> LoadedModel:
    """Wrap anything with scikit-learn's predict / predict_proba interface.

    With ``arrays``, a model fitted on named columns gets a plain array in its column
    order (the caller guarantees the order): validating a DataFrame's names costs more
    than a small model's prediction. Models that select columns by name keep frames.
    """
    if not hasattr(model, "predict"):
        raise ModelError(
            f"the {flavor} file holds a {type(model).__name__}, which has no predict()"
        )
    classes = tuple(getattr(model, "classes_", ()))
    is_classifier = bool(classes) or hasattr(model, "predict_proba")
    names = getattr(model, "feature_names_in_", None)
    columns = tuple(str(c) for c in names) if names is not None else ()

    plain = not columns or (arrays and not _uses_column_names(model))

    def predict(frame: pd.DataFrame | np.ndarray) -> Predictions:
        x = frame if isinstance(frame, np.ndarray) or not plain else frame.to_numpy()
        if not is_classifier:
            return Predictions(values=np.asarray(model.predict(x), dtype=np.float64))
        proba = None
        if hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(x), dtype=np.float64)
            labels = np.asarray(classes)[proba.argmax(1)] if classes else model.predict(x)
            if proba.shape[1] == 2:
                proba = proba[:, 1]
        else:
            labels = model.predict(x)
        return Predictions(labels=np.asarray(labels), proba=proba, classes=classes)

    task = "classification" if is_classifier else "regression"
    return LoadedModel(flavor, task, predict, trusted, columns, accepts_arrays=plain)


def _sklearn(path: str, trust: bool, arrays: bool = False) -> LoadedModel:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelError(
            f"'{path}' is not a readable skops file ({type(exc).__name__}); it is corrupt or "
            "of another flavor. Save scikit-learn models with `skops.io.dump`"
        ) from None
    if untrusted and not trust:
        raise ModelError(
            f"'{path}' holds types that skops does not consider safe ({', '.join(untrusted)}); "
            "loading them can run code. Set `trust: true` for this model if you trust its source"
        )
    try:
        model = sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise ModelError(f"cannot load '{path}' with skops: {exc}") from None
    return _from_estimator(model, "sklearn", bool(untrusted), arrays)


def _pickle(path: str, trust: bool) -> LoadedModel:
    if not trust:
        raise ModelError(
            f"'{path}' is a pickle, and loading a pickle runs whatever code it contains. "
            "Save the model with skops or ONNX, or set `trust: true` if you trust its source"
        )
    import pickle

    try:
        with open(path, "rb") as fh:
            model = pickle.load(fh)  # noqa: S301 - only with trust: true
    except Exception as exc:
        raise ModelError(f"cannot unpickle '{path}': {type(exc).__name__}: {exc}") from None
    return _from_estimator(model, "pickle", True)


def _onnx(path: str) -> LoadedModel:
    import onnxruntime as ort

    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(
            f"'{path}' is not a loadable ONNX model ({str(exc).splitlines()[0][:200]}); it is "
            "corrupt or of another flavor"
        ) from None
    inputs = session.get_inputs()
    outputs = [o.name for o in session.get_outputs()]
    single = len(inputs) == 1
    is_classifier = len(outputs) >= 2

    def feed(frame: pd.DataFrame) -> dict[str, Any]:
        if single:
            dtype = np.int64 if "int64" in inputs[0].type else np.float32
            return {inputs[0].name: frame.to_numpy().astype(dtype)}
        return {i.name: frame[[i.name]].to_numpy() for i in inputs}

    def predict(frame: pd.DataFrame) -> Predictions:
        result = session.run(None, feed(frame))
        if not is_classifier:
            return Predictions(values=np.asarray(result[0], dtype=np.float64).reshape(len(frame)))
        labels = np.asarray(result[0]).reshape(len(frame))
        raw = result[1]
        if isinstance(raw, list):  # ZipMap: a list of {class: probability}
            classes = tuple(raw[0].keys()) if raw else ()
            proba = np.array([[row[c] for c in classes] for row in raw], dtype=np.float64)
        else:
            proba = np.asarray(raw, dtype=np.float64)
            classes = tuple(range(proba.shape[1]))  # a tensor output carries no labels: 0..n-1
        if proba.shape[1] == 2:
            return Predictions(labels=labels, proba=proba[:, 1], classes=classes)
        return Predictions(labels=labels, proba=proba, classes=classes)

    columns = () if single else tuple(i.name for i in inputs)
    return LoadedModel(
        "onnx", "classification" if is_classifier else "regression", predict, False, columns
    )


def _python(path: str, target: str, root: str | None) -> LoadedModel:
    from mlgate.evaluate._metrics import load_callable

    loader = load_callable(target, root, "model loader", ModelError)
    try:
        model = loader(path)
    except Exception as exc:
        raise ModelError(f"the model loader '{target}' failed on '{path}': {exc}") from None
    return _from_estimator(model, f"python:{target}", True)
