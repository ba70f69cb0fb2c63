"""Model flavors on a real scikit-learn model trained on data scikit-learn ships."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate import ModelError
from mlgate.models import infer_signature, input_example, load_model


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns=["target"])
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    return frame, data.target.to_numpy()


@pytest.fixture(scope="module")
def fitted(cancer: tuple[pd.DataFrame, np.ndarray]) -> object:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = cancer
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)


def test_sklearn_through_skops_predicts_like_the_original(
    tmp_path: Path, cancer: tuple[pd.DataFrame, np.ndarray], fitted: object
) -> None:
    import skops.io as sio

    x, y = cancer
    sio.dump(fitted, tmp_path / "model.skops")
    model = load_model(str(tmp_path / "model.skops"), "sklearn")
    pred = model.predict(x)
    assert model.task == "classification" and not model.trusted
    assert pred.proba is not None and pred.labels is not None
    np.testing.assert_allclose(pred.proba, fitted.predict_proba(x)[:, 1])  # type: ignore[attr-defined]
    assert (pred.labels == y).mean() > 0.95
    assert pred.classes == (0, 1)
    sig = infer_signature(x, pred)
    assert sig["inputs"][0] == {"name": "mean_radius", "dtype": "float64"}
    assert sig["output"] == {"kind": "classification", "classes": [0, 1], "proba": True}
    example = input_example(x)
    assert example["columns"][0] == "mean_radius" and len(example["data"]) == 5
    # Columns are taken by name, in the model's order, whatever the frame's order.
    np.testing.assert_allclose(model.predict(x[x.columns[::-1]]).proba, pred.proba)  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="lacks column"):
        model.predict(x.drop(columns=["mean_radius"]))


def test_onnx_predicts_like_scikit_learn(
    tmp_path: Path, cancer: tuple[pd.DataFrame, np.ndarray], fitted: object
) -> None:
    from skl2onnx import to_onnx

    x, _ = cancer
    onx = to_onnx(fitted, x.to_numpy()[:1].astype(np.float32), options={"zipmap": False})
    (tmp_path / "model.onnx").write_bytes(onx.SerializeToString())
    model = load_model(str(tmp_path / "model.onnx"), "onnx")
    pred = model.predict(x)
    assert model.task == "classification"
    np.testing.assert_allclose(pred.proba, fitted.predict_proba(x)[:, 1], atol=1e-4)  # type: ignore[attr-defined,arg-type]
    onx = to_onnx(fitted, x.to_numpy()[:1].astype(np.float32))  # with ZipMap
    (tmp_path / "zip.onnx").write_bytes(onx.SerializeToString())
    zipped = load_model(str(tmp_path / "zip.onnx"), "onnx").predict(x)
    np.testing.assert_allclose(zipped.proba, pred.proba, atol=1e-6)  # type: ignore[arg-type]


def test_regression_models(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    x, y = load_diabetes(return_X_y=True, as_frame=True)
    sio.dump(Ridge().fit(x, y), tmp_path / "ridge.skops")
    model = load_model(str(tmp_path / "ridge.skops"), "sklearn")
    pred = model.predict(x)
    assert model.task == "regression" and pred.values is not None and pred.values.shape == (len(x),)
    assert infer_signature(x, pred)["output"] == {"kind": "regression", "dtype": "float64"}


def test_pickle_needs_trust(
    tmp_path: Path, cancer: tuple[pd.DataFrame, np.ndarray], fitted: object
) -> None:
    x, _ = cancer
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(fitted))
    with pytest.raises(ModelError, match="runs whatever code it contains.*trust: true"):
        load_model(str(tmp_path / "model.pkl"), "pickle")
    model = load_model(str(tmp_path / "model.pkl"), "pickle", trust=True)
    assert model.trusted and model.predict(x).proba is not None


def test_python_flavor_calls_the_repository_loader(
    tmp_path: Path, cancer: tuple[pd.DataFrame, np.ndarray]
) -> None:
    x, _ = cancer
    (tmp_path / "my_loader.py").write_text(
        "class Threshold:\n"
        "    classes_ = [0, 1]\n"
        "    def __init__(self, path):\n"
        "        with open(path) as fh:\n            self.cut = float(fh.read())\n"
        "    def predict_proba(self, x):\n"
        "        import numpy as np\n"
        "        p = (np.asarray(x)[:, 0] < self.cut).astype(float)\n"
        "        return np.column_stack([1 - p, p])\n"
        "    def predict(self, x):\n"
        "        return self.predict_proba(x).argmax(1)\n"
        "def load(path):\n"
        "    return Threshold(path)\n"
    )
    (tmp_path / "cut.txt").write_text("15.0")
    model = load_model(str(tmp_path / "cut.txt"), "python:my_loader:load", root=str(tmp_path))
    pred = model.predict(x)
    assert model.trusted and pred.proba is not None and set(np.unique(pred.proba)) <= {0.0, 1.0}
    with pytest.raises(ModelError, match="has no function 'nope'"):
        load_model(str(tmp_path / "cut.txt"), "python:my_loader:nope", root=str(tmp_path))
    with pytest.raises(ModelError, match="cannot import model loader module 'missing_mod'"):
        load_model(str(tmp_path / "cut.txt"), "python:missing_mod:load", root=str(tmp_path))


def test_corrupt_missing_and_wrong_flavor_files(tmp_path: Path, fitted: object) -> None:
    import skops.io as sio

    sio.dump(fitted, tmp_path / "model.skops")
    data = (tmp_path / "model.skops").read_bytes()
    (tmp_path / "broken.skops").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="not a readable skops file"):
        load_model(str(tmp_path / "broken.skops"), "sklearn")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        load_model(str(tmp_path / "model.skops"), "onnx")
    with pytest.raises(ModelError, match="does not exist"):
        load_model(str(tmp_path / "nope.skops"), "sklearn")
    with pytest.raises(ModelError, match="unknown model flavor 'tensorflow'"):
        load_model(str(tmp_path / "model.skops"), "tensorflow")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ModelError, match="cannot unpickle"):
        load_model(str(tmp_path / "junk.pkl"), "pickle", trust=True)


class Doubler:
    """A regressor from outside skops' list of safe types."""

    def fit(self, x: object, y: object) -> Doubler:
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return 2.0 * np.asarray(x, dtype=float)[:, 0]


def test_skops_files_with_unsafe_types_need_trust(
    tmp_path: Path, cancer: tuple[pd.DataFrame, np.ndarray]
) -> None:
    import skops.io as sio

    x, _ = cancer
    sio.dump(Doubler(), tmp_path / "f.skops")
    with pytest.raises(ModelError, match="does not consider safe.*Doubler.*trust: true"):
        load_model(str(tmp_path / "f.skops"), "sklearn")
    model = load_model(str(tmp_path / "f.skops"), "sklearn", trust=True)
    assert model.trusted and model.task == "regression"
    np.testing.assert_allclose(model.predict(x).values, 2 * x.to_numpy()[:, 0])  # type: ignore[arg-type]
