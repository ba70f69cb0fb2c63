"""Request bodies to DataFrames and predictions to responses, for the Open Inference
Protocol (KServe V2) and MLflow's scoring format. Pure: no I/O, no framework."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlgate.evaluate import Predictions

if TYPE_CHECKING:
    import pandas as pd

V2_DATATYPES = {
    "BOOL": "bool",
    "INT8": "int64",
    "INT16": "int64",
    "INT32": "int64",
    "INT64": "int64",
    "UINT8": "int64",
    "UINT16": "int64",
    "UINT32": "int64",
    "UINT64": "int64",
    "FP16": "float64",
    "FP32": "float64",
    "FP64": "float64",
    "BYTES": "object",
}


class BadInput(Exception):
    """The request is malformed; the message names the field. Answered with 4xx."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


def signature_columns(signature: Mapping[str, Any] | None) -> list[Column]:
    if not signature:
        return []
    return [Column(str(c["name"]), str(c["dtype"])) for c in signature.get("inputs", [])]


def v2_datatype(dtype: str) -> str:
    if dtype.startswith(("float", "Float")):
        return "FP64"
    if dtype.startswith(("int", "Int", "uint", "UInt")):
        return "INT64"
    if dtype == "bool":
        return "BOOL"
    return "BYTES"


def _frame(columns: Mapping[str, Sequence[Any]], expected: list[Column]) -> pd.DataFrame:
    import pandas as pd

    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise BadInput(f"columns have different lengths: {sorted(lengths)}")
    if expected:
        missing = [c.name for c in expected if c.name not in columns]
        if missing:
            raise BadInput(f"missing input column(s): {', '.join(missing)}")
        values = [_coerce(col, columns[col.name]) for col in expected]
        names = [col.name for col in expected]
        if all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in values):
            # One 2-D block: much cheaper than a frame built column by column.
            frame = pd.DataFrame(np.column_stack(values), columns=names, copy=False)
        else:
            frame = pd.DataFrame(dict(zip(names, values, strict=True)))
    else:
        frame = pd.DataFrame({k: list(v) for k, v in columns.items()})
    if len(frame) == 0:
        raise BadInput("the request holds no rows")
    return frame


_NUMERIC = ("float", "int", "uint", "Int", "Float", "UInt")


def _coerce(col: Column, values: Sequence[Any]) -> Any:
    if col.dtype.startswith(_NUMERIC):
        try:  # the common case, in C; anything odd takes the loop that names the row
            fast = np.asarray(values, dtype=np.float64)
            if (
                fast.ndim == 1
                and not col.dtype.startswith(("int", "uint"))
                and _numbers_only(values)
            ):
                return fast
        except (TypeError, ValueError):
            pass
        out = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int | float):
                if v is None:
                    raise BadInput(
                        f"column '{col.name}' row {i}: a value is missing; this model needs a "
                        f"number ({col.dtype})"
                    )
                raise BadInput(
                    f"column '{col.name}' row {i}: expected a number ({col.dtype}), got "
                    f"{type(v).__name__} {v!r:.40}"
                )
            out[i] = v
        if col.dtype.startswith(("int", "uint")):
            if np.any(out != np.round(out)):
                raise BadInput(f"column '{col.name}': expected integers ({col.dtype})")
            return out.astype(np.int64)
        return out
    if col.dtype == "bool":
        if not all(isinstance(v, bool) for v in values):
            raise BadInput(f"column '{col.name}': expected true/false values")
    return list(values)


def parse_mlflow(body: Any, expected: list[Column]) -> pd.DataFrame:
    """MLflow's /invocations: dataframe_split, dataframe_records, instances or inputs."""
    if not isinstance(body, dict) or len(body) == 0:
        raise BadInput(
            "the body must be a JSON object with one of dataframe_split, dataframe_records, "
            "instances or inputs"
        )
    keys = [k for k in ("dataframe_split", "dataframe_records", "instances", "inputs") if k in body]
    if len(keys) != 1:
        raise BadInput(
            "give exactly one of dataframe_split, dataframe_records, instances or inputs "
            f"(got {', '.join(map(str, body)) or 'none'})"
        )
    value = body[keys[0]]
    if keys[0] == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise BadInput("dataframe_split needs {'columns': [...], 'data': [[...], ...]}")
        names = value.get("columns") or [c.name for c in expected]
        if not isinstance(names, list):
            raise BadInput("dataframe_split.columns must be a list of names")
        return _from_rows(names, value["data"], expected, "dataframe_split.data")
    if isinstance(value, dict):  # inputs/instances as {column: [values]}
        for k, v in value.items():
            if not isinstance(v, list):
                raise BadInput(f"{keys[0]}.{k} must be a list of values")
        return _frame(value, expected)
    if not isinstance(value, list) or not value:
        raise BadInput(f"{keys[0]} must be a non-empty list of rows")
    if all(isinstance(r, dict) for r in value):
        names = list(dict.fromkeys(k for r in value for k in r))
        return _frame({n: [r.get(n) for r in value] for n in names}, expected)
    if all(isinstance(r, list) for r in value):
        names = [c.name for c in expected]
        if not names:
            raise BadInput(f"{keys[0]} as lists needs a model signature to name the columns")
        return _from_rows(names, value, expected, keys[0])
    raise BadInput(f"{keys[0]} must be a list of objects or a list of lists, not a mix")


def _numbers_only(values: Sequence[Any]) -> bool:
    """Every value is a JSON number: numpy would also take true, "1" and null (as NaN)."""
    return all(type(v) is float or type(v) is int for v in values)


def _float_matrix(names: list[Any], rows: list[Any], expected: list[Column]) -> np.ndarray | None:
    """All-float rows as one matrix, converted in C; None when a column is not a float
    or a value is not a plain number (the caller's slower path names it)."""
    if not expected or not all(c.dtype.startswith("float") for c in expected):
        return None
    try:
        matrix = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if (
        matrix.ndim != 2
        or matrix.shape[1] != len(names)
        or not names
        or not all(_numbers_only(row) for row in rows)
    ):
        return None
    return matrix


def mlflow_matrix(body: Any, expected: list[Column]) -> np.ndarray | None:
    """The fast path of :func:`parse_mlflow`: ``dataframe_split`` (or ``instances`` /
    ``inputs`` as lists of rows) of plain numbers, with the signature's float columns in
    its order, as one matrix in that order. None for anything else."""
    if not isinstance(body, dict) or len(body) != 1:
        return None
    ((key, value),) = body.items()
    wanted = [c.name for c in expected]
    if key == "dataframe_split" and isinstance(value, dict):
        names, rows = value.get("columns") or wanted, value.get("data")
    elif key in ("instances", "inputs"):
        names, rows = wanted, value
    else:
        return None
    if names != wanted or not isinstance(rows, list) or not rows:
        return None
    return _float_matrix(names, rows, expected)


def _from_rows(
    names: list[Any], rows: list[Any], expected: list[Column], where: str
) -> pd.DataFrame:
    matrix = _float_matrix(names, rows, expected)
    if matrix is not None:
        import pandas as pd

        frame = pd.DataFrame(matrix, columns=[str(n) for n in names], copy=False)
        wanted = [c.name for c in expected]
        if list(frame.columns) == wanted:
            return frame
        if set(wanted) <= set(frame.columns):
            return frame[wanted]
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            raise BadInput(f"{where}[{i}] must be a list of {len(names)} values")
    return _frame({str(n): [r[j] for r in rows] for j, n in enumerate(names)}, expected)


def parse_v2(body: Any, expected: list[Column]) -> pd.DataFrame:
    """An Open Inference Protocol request: one tensor per column (shape [n] or [n, 1]),
    or one tensor of shape [n, k] whose columns follow the signature."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list) or not body["inputs"]:
        raise BadInput("the body must be {'inputs': [{name, shape, datatype, data}, ...]}")
    columns: dict[str, list[Any]] = {}
    for i, tensor in enumerate(body["inputs"]):
        if not isinstance(tensor, dict):
            raise BadInput(f"inputs[{i}] must be an object")
        name, shape, datatype, data = (tensor.get(k) for k in ("name", "shape", "datatype", "data"))
        if not isinstance(name, str) or not name:
            raise BadInput(f"inputs[{i}].name must be a non-empty string")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise BadInput(f"inputs[{i}].shape must be a list of non-negative integers")
        if datatype not in V2_DATATYPES:
            raise BadInput(
                f"inputs[{i}].datatype {datatype!r} is not an Open Inference Protocol type"
            )
        if not isinstance(data, list):
            raise BadInput(f"inputs[{i}].data must be a list")
        flat = _flatten(data)
        size = int(np.prod(shape)) if shape else 1
        if len(flat) != size:
            raise BadInput(f"inputs[{i}] has {len(flat)} values for shape {shape}")
        if len(shape) == 2 and shape[1] > 1:
            names = [c.name for c in expected]
            if len(names) != shape[1]:
                raise BadInput(
                    f"inputs[{i}] has {shape[1]} columns; the model takes {len(names)} "
                    f"({', '.join(names) or 'unknown: send one tensor per column'})"
                )
            for j, col in enumerate(names):
                columns[col] = flat[j :: shape[1]]
        elif len(shape) in (1, 2):
            columns[name] = flat
        else:
            raise BadInput(f"inputs[{i}].shape must be [rows] or [rows, columns], not {shape}")
    return _frame(columns, expected)


def _flatten(data: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in data:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _plain(values: Any) -> list[Any]:
    return np.asarray(values).tolist()  # type: ignore[no-any-return]


def predictions_json(pred: Predictions) -> list[Any]:
    """MLflow's ``predictions``: labels for a classifier, values for a regressor."""
    if pred.values is not None:
        return _plain(pred.values)
    assert pred.labels is not None
    return _plain(pred.labels)


def v2_outputs(pred: Predictions) -> list[dict[str, Any]]:
    """The output tensors: ``predict`` (labels or values) and ``predict_proba``."""
    main = pred.values if pred.values is not None else pred.labels
    assert main is not None
    array = np.asarray(main)
    outputs = [
        {
            "name": "predict",
            "shape": [len(array)],
            "datatype": v2_datatype(str(array.dtype)),
            "data": array.tolist(),
        }
    ]
    if pred.proba is not None:
        proba = np.asarray(pred.proba, dtype=np.float64)
        outputs.append(
            {
                "name": "predict_proba",
                "shape": list(proba.shape),
                "datatype": "FP64",
                "data": proba.reshape(-1).tolist(),
            }
        )
    return outputs


def answer_vector(pred: Predictions) -> Any:
    """One number per row to compare two versions' answers (shadow mode)."""
    if pred.proba is not None:
        proba = np.asarray(pred.proba, dtype=np.float64)
        return proba if proba.ndim == 1 else proba.max(1)
    if pred.values is not None:
        return np.asarray(pred.values, dtype=np.float64)
    return np.asarray(pred.labels)
