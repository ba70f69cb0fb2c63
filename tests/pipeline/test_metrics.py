from __future__ import annotations

from pathlib import Path

import pytest

from mlgate import PipelineError
from mlgate.pipeline._metrics import read_metrics


def test_numbers_are_flattened_and_the_rest_ignored(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(
        '{"auc": 0.9, "n": 3, "ok": true, "name": "x", "inf": Infinity, "by": {"a": {"b": 1}}}'
    )
    assert read_metrics(str(tmp_path), "s", ["m.json"]) == {"auc": 0.9, "n": 3.0, "by.a.b": 1.0}
    (tmp_path / "list.json").write_text("[1, 2]")
    assert read_metrics(str(tmp_path), "s", ["list.json"]) == {}


def test_a_malformed_metrics_file(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(PipelineError, match="stage 's': metrics file 'm.json' is not valid JSON"):
        read_metrics(str(tmp_path), "s", ["m.json"])
