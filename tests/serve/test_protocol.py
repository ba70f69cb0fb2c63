"""Request parsing for both protocols, and the errors a client can cause."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.evaluate import Predictions
from mlgate.serve._protocol import (
    BadInput,
    Column,
    answer_vector,
    mlflow_matrix,
    parse_mlflow,
    parse_v2,
    predictions_json,
    v2_outputs,
)

COLS = [Column("a", "float64"), Column("b", "int64"), Column("c", "object")]


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1.5, 2, "x"], [2.5, 3, "y"]]}},
        {"dataframe_split": {"data": [[1.5, 2, "x"], [2.5, 3, "y"]]}},
        {"dataframe_records": [{"a": 1.5, "b": 2, "c": "x"}, {"a": 2.5, "b": 3, "c": "y"}]},
        {"instances": [{"a": 1.5, "b": 2, "c": "x"}, {"a": 2.5, "b": 3, "c": "y"}]},
        {"instances": [[1.5, 2, "x"], [2.5, 3, "y"]]},
        {"inputs": {"a": [1.5, 2.5], "b": [2, 3], "c": ["x", "y"]}},
    ],
)
def test_every_mlflow_format_gives_the_same_frame(body: dict[str, object]) -> None:
    frame = parse_mlflow(body, COLS)
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame["a"].tolist() == [1.5, 2.5] and frame["b"].tolist() == [2, 3]
    assert frame["b"].dtype == np.int64


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "must be a JSON object"),
        ({}, "must be a JSON object"),
        ({"rows": []}, "give exactly one of"),
        ({"instances": [], "inputs": []}, "give exactly one of"),
        ({"dataframe_split": {"columns": ["a"]}}, "dataframe_split needs"),
        ({"dataframe_split": {"columns": "a", "data": [[1]]}}, "must be a list of names"),
        (
            {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2]]}},
            "dataframe_split.data[0] must be a list of 3 values",
        ),
        ({"dataframe_records": [{"a": 1, "b": 2}]}, "missing input column(s): c"),
        (
            {"dataframe_records": [{"a": "x", "b": 2, "c": "y"}]},
            "column 'a' row 0: expected a number (float64), got str",
        ),
        (
            {"dataframe_records": [{"a": True, "b": 2, "c": "y"}]},
            "column 'a' row 0: expected a number",
        ),
        ({"dataframe_records": [{"a": 1.0, "b": 2.5, "c": "y"}]}, "column 'b': expected integers"),
        ({"inputs": {"a": [1.0], "b": [1, 2], "c": ["x"]}}, "different lengths"),
        ({"inputs": {"a": 1}}, "inputs.a must be a list"),
        ({"instances": []}, "non-empty list of rows"),
        ({"instances": [[1, 2, "x"], {"a": 1}]}, "not a mix"),
        ({"inputs": {"a": [], "b": [], "c": []}}, "no rows"),
        (
            {"dataframe_records": [{"a": None, "b": 2, "c": "y"}]},
            "column 'a' row 0: a value is missing",
        ),
    ],
)
def test_bad_mlflow_bodies_name_the_field(body: object, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_mlflow(body, COLS)
    assert message in str(caught.value)
    assert caught.value.status == 422


def test_lists_without_a_signature_cannot_be_named() -> None:
    with pytest.raises(BadInput, match="needs a model signature"):
        parse_mlflow({"instances": [[1, 2]]}, [])
    frame = parse_mlflow({"dataframe_records": [{"x": 1}]}, [])
    assert frame["x"].tolist() == [1]


def test_v2_tensors_per_column_or_as_a_matrix() -> None:
    per_column = {
        "inputs": [
            {"name": "a", "shape": [2], "datatype": "FP64", "data": [1.5, 2.5]},
            {"name": "b", "shape": [2, 1], "datatype": "INT64", "data": [[2], [3]]},
            {"name": "c", "shape": [2], "datatype": "BYTES", "data": ["x", "y"]},
        ]
    }
    matrix = {
        "inputs": [
            {
                "name": "input",
                "shape": [2, 3],
                "datatype": "FP64",
                "data": [1.5, 2, "x", 2.5, 3, "y"],
            }
        ]
    }
    for body in (per_column, matrix):
        frame = parse_v2(body, COLS)
        assert frame["a"].tolist() == [1.5, 2.5] and frame["c"].tolist() == ["x", "y"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"inputs": []}, "must be {'inputs'"),
        ({"inputs": ["x"]}, "inputs[0] must be an object"),
        (
            {"inputs": [{"name": "", "shape": [1], "datatype": "FP64", "data": [1]}]},
            "inputs[0].name",
        ),
        (
            {"inputs": [{"name": "a", "shape": [-1], "datatype": "FP64", "data": [1]}]},
            "inputs[0].shape",
        ),
        (
            {"inputs": [{"name": "a", "shape": [1], "datatype": "FLOAT", "data": [1]}]},
            "not an Open Inference Protocol type",
        ),
        (
            {"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": 1}]},
            "inputs[0].data must be a list",
        ),
        (
            {"inputs": [{"name": "a", "shape": [2], "datatype": "FP64", "data": [1]}]},
            "has 1 values for shape [2]",
        ),
        (
            {"inputs": [{"name": "a", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]},
            "has 2 columns; the model takes 3",
        ),
        (
            {"inputs": [{"name": "a", "shape": [1, 1, 1], "datatype": "FP64", "data": [1]}]},
            "must be [rows] or [rows, columns]",
        ),
    ],
)
def test_bad_v2_bodies_name_the_field(body: object, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_v2(body, COLS)
    assert message in str(caught.value)


def test_outputs() -> None:
    pred = Predictions(labels=np.array([0, 1]), proba=np.array([0.2, 0.9]), classes=(0, 1))
    assert predictions_json(pred) == [0, 1]
    [main, proba] = v2_outputs(pred)
    assert main == {"name": "predict", "shape": [2], "datatype": "INT64", "data": [0, 1]}
    assert proba["data"] == [0.2, 0.9] and proba["datatype"] == "FP64"
    regression = Predictions(values=np.array([1.5]))
    assert predictions_json(regression) == [1.5] and v2_outputs(regression)[0]["datatype"] == "FP64"
    assert answer_vector(regression).tolist() == [1.5]
    multi = Predictions(labels=np.array(["a"]), proba=np.array([[0.1, 0.9]]), classes=("a", "b"))
    assert answer_vector(multi).tolist() == [0.9]
    assert answer_vector(Predictions(labels=np.array(["a"]))).tolist() == ["a"]
    assert v2_outputs(Predictions(labels=np.array(["a"])))[0]["datatype"] == "BYTES"


def test_counters_count_predicted_classes_and_skip_what_is_not_a_class() -> None:
    from mlgate.serve._state import MAX_CLASSES, Counters

    counters = Counters()
    counters.record(1, 0.001, error=False, labels=np.array(["benign", "malignant", "benign"]))
    counters.record(1, 0.001, error=False, labels=np.array(["benign"]))
    mixed = np.array([None, "x", 1] * 10, dtype=object)  # cannot be sorted: counted by text
    counters.record(1, 0.001, error=False, labels=mixed)
    counters.record(1, 0.001, error=False, labels=np.arange(MAX_CLASSES + 1))  # an identifier
    counters.record(1, 0.001, error=False, labels=np.ones((2, 2)))  # several outputs
    counters.record(2, 0.001, error=True)
    [one, two] = counters.snapshot(7, "host:1", [1, 2])
    assert one.requests == 5
    assert one.predictions == (("1", 10), ("None", 10), ("benign", 3), ("malignant", 1), ("x", 10))
    assert two.errors == 1 and two.predictions == ()
    counters.reset()
    assert counters.snapshot(7, "host:1", [1])[0].predictions == ()


FLOATS = [Column("a", "float64"), Column("b", "float32")]


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, 2], [2.5, 3.0]]}},
        {"dataframe_split": {"data": [[1.5, 2], [2.5, 3.0]]}},
        {"instances": [[1.5, 2], [2.5, 3.0]]},
        {"inputs": [[1.5, 2], [2.5, 3.0]]},
    ],
)
def test_numeric_rows_in_signature_order_become_one_matrix(body: dict[str, object]) -> None:
    matrix = mlflow_matrix(body, FLOATS)
    assert matrix is not None and matrix.dtype == np.float64
    assert matrix.tolist() == [[1.5, 2.0], [2.5, 3.0]]
    assert parse_mlflow(body, FLOATS).to_numpy().tolist() == matrix.tolist()  # the same input


@pytest.mark.parametrize(
    ("body", "columns"),
    [
        ({"dataframe_split": {"columns": ["b", "a"], "data": [[1.0, 2.0]]}}, FLOATS),
        ({"dataframe_split": {"columns": ["a", "b"], "data": [[True, 2.0]]}}, FLOATS),
        ({"dataframe_split": {"columns": ["a", "b"], "data": [[None, 2.0]]}}, FLOATS),
        ({"dataframe_split": {"columns": ["a", "b"], "data": [["1", 2.0]]}}, FLOATS),
        ({"dataframe_split": {"columns": ["a", "b"], "data": [[1.0]]}}, FLOATS),
        ({"dataframe_split": {"columns": ["a", "b"], "data": []}}, FLOATS),
        ({"dataframe_split": [[1.0, 2.0]]}, FLOATS),
        ({"dataframe_records": [{"a": 1.0, "b": 2.0}]}, FLOATS),
        ({"inputs": {"a": [1.0], "b": [2.0]}}, FLOATS),
        ({"instances": [[1.0, 2.0]], "inputs": [[1.0, 2.0]]}, FLOATS),
        ([[1.0, 2.0]], FLOATS),
        ({"instances": [[1.5, 2, "x"]]}, COLS),  # not every column is a float
        ({"instances": [[1.0, 2.0]]}, []),  # no signature
    ],
)
def test_anything_else_takes_the_path_that_names_the_problem(
    body: object, columns: list[Column]
) -> None:
    assert mlflow_matrix(body, columns) is None


def test_numeric_strings_are_not_numbers() -> None:
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [["1", 2.0]]}}
    with pytest.raises(BadInput, match="column 'a' row 0: expected a number .* got str '1'"):
        parse_mlflow(body, FLOATS)
