"""`mlgate gate` end to end on a real scikit-learn project, and its bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.gate_project import make_gate_project
from tests.conftest import Result

Cli = Callable[..., Result]


_TRAINED: dict[float, bytes] = {}


def train(repo: Path, c: float) -> None:
    """What train.py does, in this process and once per C (the tests' main cost)."""
    if c not in _TRAINED:
        subprocess.run([sys.executable, "train.py", str(c)], cwd=repo, check=True)
        _TRAINED[c] = (repo / "models" / "model.skops").read_bytes()
    (repo / "models" / "model.skops").write_bytes(_TRAINED[c])


@pytest.fixture
def project(repo: Path) -> Path:
    make_gate_project(repo)
    train(repo, 1.0)
    return repo


def test_first_model_passes_on_absolute_gates_and_says_there_is_no_champion(
    cli: Cli, project: Path
) -> None:
    done = cli("gate")
    assert done.code == 0, done.out + done.err
    assert "No model has the alias 'production' yet" in done.out
    assert "PASSED: models/model.skops passed" in done.out
    report = json.loads((project / "gate-report" / "report.json").read_text())
    assert report["passed"] is True and report["champion"] is None
    kinds = {r["gate"]: r["status"] for r in report["results"]}
    assert kinds["auc_floor"] == "pass" and kinds["auc_vs_champion"] == "skip"
    suite = ET.parse(project / "gate-report" / "junit.xml").getroot()[0]
    assert suite.get("failures") == "0" and int(suite.get("skipped", "0")) >= 2
    markdown = (project / "gate-report" / "report.md").read_text()
    assert markdown.startswith("## ✅ mlgate: `models/model.skops` passed")
    assert "> **Note:** No model has the alias 'production' yet" in markdown


def test_a_worse_candidate_is_blocked_and_the_report_is_stored_with_its_version(
    cli: Cli, project: Path
) -> None:
    assert cli("add", "data/train.csv", "data/test.csv").code == 0
    assert cli("register", "cancer", "models/model.skops", "--flavor", "sklearn").code == 0
    assert cli("alias", "set", "cancer", "production", "1", "--reason", "first").code == 0
    train(project, 0.0005)  # heavily regularised: clearly worse
    assert cli("register", "cancer", "models/model.skops", "--flavor", "sklearn").code == 0
    done = cli("gate")
    assert done.code == 1, done.out + done.err
    assert "cancer@2 failed" in done.err
    assert "stored with cancer@2 in the registry" in done.out
    markdown = (project / "gate-report" / "report.md").read_text()
    assert markdown.startswith("## ❌ mlgate: `cancer@2` failed")
    assert "against `cancer@1`" in markdown and "![" in markdown
    assert (project / "gate-report" / "comparisons.png").read_bytes()[:4] == b"\x89PNG"
    suite = ET.parse(project / "gate-report" / "junit.xml").getroot()[0]
    failures = [c.get("name") for c in suite if c.find("failure") is not None]
    assert "auc_vs_champion" in failures
    from mlgate.registry import Registry

    with Registry("sqlite:///.mlgate/registry.db", root=str(project)) as reg:
        [stored] = reg.gate_reports("cancer", 2)
        first = reg.get("cancer", 1)
    assert stored.passed is False and stored.champion == "cancer@1"
    # Registration stored the signature and an input example (from evaluation.data).
    assert first.signature is not None and first.input_example is not None
    assert first.signature["inputs"][0] == {"name": "mean_radius", "dtype": "float64"}  # type: ignore[index]
    assert first.signature["output"] == {"kind": "classification", "classes": [0, 1], "proba": True}
    assert len(first.input_example["data"]) == 5 and "target" not in first.input_example["columns"]  # type: ignore[index,operator]
    # The champion judged against itself would be no comparison at all.
    done = cli("gate", "cancer@1", "--out", "again")
    assert done.code == 0, done.out + done.err
    assert "it is the candidate itself" in done.out


def test_the_same_candidate_gets_the_same_report(cli: Cli, project: Path) -> None:
    assert cli("register", "cancer", "models/model.skops", "--flavor", "sklearn").code == 0
    assert cli("alias", "set", "cancer", "production", "1", "--reason", "first").code == 0
    train(project, 0.5)
    assert cli("gate", "--out", "a").code in (0, 1)
    assert cli("gate", "--out", "b").code in (0, 1)

    def comparisons(name: str) -> list[dict[str, object]]:
        data = json.loads((project / name / "report.json").read_text())
        return [r for r in data["results"] if r["kind"] == "comparison"]

    assert comparisons("a") == comparisons("b")


def _edit(project: Path, old: str, new: str) -> None:
    path = project / "mlgate.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "data: data/test.csv",
            "data: data/none.csv",
            "evaluation.data 'data/none.csv' does not exist",
        ),
        ("target: target", "target: label", "no target column 'label'"),
        ("metric: log_loss", "metric: logloss", "unknown metric 'logloss'"),
        ("flavor: sklearn", "flavor: onnx", "not a loadable ONNX model"),
        ("flavor: sklearn", "flavor: pickle", "loading a pickle runs whatever code it contains"),
        ("margin: 0.03}", "margin: 0.03, by: segment}", "gate 'accuracy_vs_champion'"),
        (
            "ranges: {mean_radius: [0, 100]}",
            "ranges: {radius: [0, 100]}",
            "data check on column 'radius'",
        ),
    ],
)
def test_bad_gate_input_is_a_clear_error(
    cli: Cli, project: Path, old: str, new: str, message: str
) -> None:
    if "by: segment" in new:  # slices need a champion to compare with
        assert cli("register", "cancer", "models/model.skops", "--flavor", "sklearn").code == 0
        assert cli("alias", "set", "cancer", "production", "1", "--reason", "x").code == 0
        train(project, 0.9)
    _edit(project, old, new)
    done = cli("gate")
    assert done.code == 2, done.out + done.err
    assert message in done.err
    assert "Traceback" not in done.err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "auc_floor: {metric: roc_auc, min: 0.9}",
            "auc_floor: {metric: roc_auc}",
            "gates.metrics.auc_floor: says nothing to check",
        ),
        ("margin: 0.02}", "margin: 0.02, improve: true}", "use either margin"),
        ("margin: 0.02}", "margin: -1}", "margin must be 0 or more"),
        (
            "margin: 0.02}",
            "margin: 0.02, test: magic}",
            "gates.metrics.auc_vs_champion.test: Invalid enum value 'magic'; expected one of: auto, bootstrap",
        ),
        ("resamples: 500", "resamples: lots", "gates.resamples: Expected `int`"),
        (
            "path: models/model.skops",
            "path: ../model.skops",
            "model.path: '../model.skops' contains '..'",
        ),
    ],
)
def test_malformed_gate_config_names_line_and_key(
    cli: Cli, project: Path, old: str, new: str, message: str
) -> None:
    _edit(project, old, new)
    done = cli("gate")
    assert done.code == 2
    assert "mlgate.yaml:" in done.err and message in done.err


def test_corrupt_model_file_and_missing_sections(cli: Cli, project: Path) -> None:
    model = project / "models" / "model.skops"
    model.write_bytes(model.read_bytes()[:100])
    done = cli("gate")
    assert done.code == 2 and "not a readable skops file" in done.err
    (project / "mlgate.yaml").write_text("stages: {}\n")
    done = cli("gate")
    assert done.code == 2 and "no `model:` and `evaluation:` sections" in done.err


def test_single_class_labels_and_nan_scores(cli: Cli, project: Path) -> None:
    import pandas as pd

    test = pd.read_csv(project / "data" / "test.csv")
    test[test["target"] == 1].to_csv(project / "data" / "ones.csv", index=False)
    done = cli("gate", "--data", "data/ones.csv")
    assert done.code == 2 and "single class" in done.err
    (project / "nan_model.py").write_text(
        "import numpy as np\n"
        "class M:\n"
        "    classes_ = [0, 1]\n"
        "    def predict_proba(self, x):\n"
        "        p = np.full(len(x), np.nan)\n"
        "        return np.column_stack([p, p])\n"
        "    def predict(self, x):\n"
        "        return np.zeros(len(x), dtype=int)\n"
        "def load(path):\n"
        "    return M()\n"
    )
    _edit(project, "flavor: sklearn", "flavor: python:nan_model:load")
    done = cli("gate")
    assert done.code == 2 and "NaN" in done.err


def test_register_refuses_a_model_it_cannot_load(cli: Cli, project: Path) -> None:
    (project / "models" / "model.skops").write_bytes(b"garbage")
    done = cli("register", "cancer", "models/model.skops", "--flavor", "sklearn")
    assert done.code == 2 and "not a readable skops file" in done.err
    train(project, 1.0)
    done = cli(
        "register",
        "cancer",
        "models/model.skops",
        "--flavor",
        "sklearn",
        "--example",
        "data/missing.csv",
    )
    assert done.code == 2 and "example data 'data/missing.csv' does not exist" in done.err
    (project / "mlgate.yaml").write_text("stages: {}\n")
    done = cli("register", "cancer", "models/model.skops", "--flavor", "sklearn")
    assert done.code == 0 and "no signature or input example" in done.out
