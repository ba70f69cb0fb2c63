"""Metrics files that stages write (JSON), flattened to name -> number."""

from __future__ import annotations

import json
import math
import os

from mlgate._errors import PipelineError


def read_metrics(root: str, stage: str, files: list[str]) -> dict[str, float]:
    """The numbers in a stage's metrics files; nested keys are joined with dots.

    Raises:
        PipelineError: a declared file is missing or is not JSON.
    """
    values: dict[str, float] = {}
    for file in files:
        path = os.path.join(root, file)
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            raise PipelineError(
                f"stage '{stage}' declares metrics file '{file}', which it did not write; fix the "
                "command or `metrics` in mlgate.yaml"
            ) from None
        except (OSError, ValueError) as exc:
            raise PipelineError(
                f"stage '{stage}': metrics file '{file}' is not valid JSON ({exc}); write a JSON "
                "object of metric names to numbers"
            ) from None
        _flatten(data, "", values)
    return values


def _flatten(node: object, prefix: str, out: dict[str, float]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}", out)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        if not math.isinf(node) and prefix:
            out[prefix] = float(node)
