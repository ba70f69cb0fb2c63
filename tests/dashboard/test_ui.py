"""`mlgate ui` as a user meets it: a real uvicorn process on loopback, clicked through
in Debian's Chromium (Playwright), and hit with bad paths over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mlgate.config import init_project
from mlgate.dashboard import line_chart
from mlgate.evaluate import GateReport, GateResult
from mlgate.registry import Registry, ReplicaStats
from tests.conftest import free_port, run_mlgate

CHROMIUM = "/usr/bin/chromium"
XSS = "<script>window.pwned = 1</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; missing, it skips, but fails under CI=true."""
    problem = None
    if not os.path.exists(CHROMIUM):
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a dev dependency
        problem = "the playwright package is missing"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the dashboard tests need a browser under CI=true: {problem}")
        pytest.skip(problem)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


def _report(passed: bool, champion: str | None) -> dict[str, object]:
    results = (
        GateResult("auc_floor", "metric", "pass", "roc_auc = 0.81 meets the bound (at least 0.7)"),
        GateResult(
            "auc_not_worse",
            "comparison",
            "pass" if passed else "fail",
            "candidate roc_auc 0.80 vs 0.81: gain -0.01 [-0.03, 0.01]",
        ),
    )
    return GateReport(passed, "churn@2", champion, 500, results).to_dict()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with history: three versions, a run with metric series, gate reports
    (one not written by mlgate), alias moves and a rollout."""
    root = tmp_path_factory.mktemp("ui") / "repo"
    root.mkdir()
    init_project(str(root))
    with Registry("sqlite:///.mlgate/registry.db", root=str(root), create=True) as reg:
        run = reg.start_run("train", params={"C": 0.5}, git_commit="a" * 40)
        reg.log_metrics(run, [("loss", 1.0 / (step + 1), step) for step in range(5)])
        reg.log_metrics(run, {"auc": 0.81})
        reg.finish_run(run)
        for auc in (0.78, 0.81, 0.74):
            reg.register(
                "churn",
                artifact_digest="b" * 64,
                flavor="sklearn",
                run_id=run,
                data_digests={"data/train.csv": "c" * 64},
                params={"C": 0.5},
                metrics={"test_auc": auc},
            )
        reg.save_gate_report("churn", 1, _report(True, None), passed=True, champion=None, actor="t")
        reg.set_alias("churn", "production", 1, expected=None, reason="first")
        reg.save_gate_report(
            "churn", 2, _report(True, "churn@1"), passed=True, champion="churn@1", actor="t"
        )
        reg.record_deploy_event("churn", "production", 2, "rollout-started", "canary at 10%", "t")
        reg.set_alias("churn", "production", 2, expected=1, reason=XSS)
        reg.save_gate_report("churn", 3, {"passed": False}, passed=False, champion=None, actor="t")
        rollout = reg.start_rollout("churn", "production", 3, weight=0.2, shadow=False, actor="t")
        now = datetime.now(UTC)
        reg.report_stats(
            [
                ReplicaStats(rollout.id, "r1", 3, 40, 2, (40,), 0, 0, 0.0, now),
                ReplicaStats(rollout.id, "r2", 3, 10, 1, (10,), 0, 0, 0.0, now),
                ReplicaStats(rollout.id, "r1", 2, 150, 0, (150,), 0, 0, 0.0, now),
            ]
        )
        reg.register("empty-model", artifact_digest="d" * 64, flavor="onnx")
    return root


@contextmanager
def _dashboard(project: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`mlgate ui` in a subprocess on a free port; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlgate", "ui", "--port", str(port)],
        cwd=project,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"mlgate ui did not start: {process.communicate()[1]}")
    try:
        yield url
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def ui(project: Path) -> Iterator[str]:
    with _dashboard(project) as url:
        yield url


def test_clicking_from_the_models_to_a_version_its_gates_and_its_run(browser: Any, ui: str) -> None:
    page = browser.new_page()
    page.goto(ui)
    assert page.locator("#models").inner_text().count("churn") == 1
    assert "production → 2" in page.locator("#models").inner_text()
    page.click("text=churn")
    assert page.title() == "churn · mlgate"
    rollout = page.locator("#rollouts").inner_text()
    assert "v3 against v2" in rollout and "canary at 20%" in rollout
    assert "v3: 50 requests, 3 errors" in rollout and "v2: 150 requests, 0 errors" in rollout
    versions = page.locator("#versions").inner_text()
    assert "passed" in versions and "failed" in versions
    chart = page.locator("svg.chart[aria-label=test_auc]")
    assert chart.locator("circle").count() == 3  # one point per version
    history = page.locator("#history").inner_text()
    assert XSS in history  # shown as text ...
    assert page.evaluate("window.pwned") is None  # ... never run
    assert "rollout-started (v2): canary at 10%" in history
    page.click("#versions a[href='/models/churn/2']")
    assert page.title() == "churn@2 · mlgate"
    assert "production" in page.locator("h1").inner_text()
    assert "data/train.csv" in page.locator("#lineage").inner_text()
    gates = page.locator("table.gates").inner_text()
    assert "auc_not_worse" in gates and "gain -0.01" in gates
    assert page.locator("h3 a").get_attribute("href") == "/models/churn/1"  # the champion
    page.click("#lineage >> a")
    assert page.title().startswith("Run ")
    assert page.locator("svg.chart[aria-label=loss] circle").count() == 5
    assert "0.81" in page.locator("#metrics").inner_text()
    page.click("header >> text=Runs")
    assert page.locator("#runs tr").count() == 2  # the header and the one run
    page.close()


def test_a_report_not_written_by_mlgate_shows_its_verdict(browser: Any, ui: str) -> None:
    page = browser.new_page()
    page.goto(f"{ui}/models/churn/3")
    assert "failed" in page.locator("h3").inner_text()
    assert page.locator("table.gates").count() == 0
    page.goto(f"{ui}/models/empty-model")
    assert "No aliases." in page.locator("#aliases").inner_text()
    page.close()


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/models/nosuch", 404, "no model named 'nosuch'"),
        ("/models/churn/99", 404, "has no version 99"),
        ("/models/churn/-1", 404, "'-1' is not a version number"),
        ("/models/churn/1e400", 404, "is not a version number"),
        ("/models/churn/" + "9" * 30, 404, "is not a version number"),
        ("/runs/0", 404, "no run 0"),
        ("/runs/abc", 404, "'abc' is not a run number"),
        ("/runs?limit=0", 400, "limit must be between 1 and 10000"),
        ("/runs?limit=x", 400, "valid integer"),
        ("/models/churn/%D9%A3", 404, "is not a version number"),  # an Arabic-Indic 3
        ("/../../etc/passwd", 404, "GET /etc/passwd: Not Found"),
        ("/models/churn/1/extra", 404, "Not Found"),
    ],
)
def test_bad_paths_get_a_4xx_page_that_says_what_is_wrong(
    ui: str, path: str, status: int, message: str
) -> None:
    answer = httpx.get(ui + path)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert message in answer.text.replace("&#39;", "'")


def test_post_is_refused_and_nothing_is_written(ui: str, project: Path) -> None:
    refused = httpx.post(f"{ui}/models/churn")
    assert refused.status_code == 405 and "Method Not Allowed" in refused.text
    with Registry("sqlite:///.mlgate/registry.db", root=str(project)) as reg:
        assert reg.alias("churn", "production") == 2


def test_the_ui_command_refuses_a_busy_port_and_an_unreachable_registry(
    project: Path, tmp_path: Path
) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = run_mlgate("ui", "--port", str(port), cwd=project)
    assert done.code == 2 and f"cannot listen on 127.0.0.1:{port}" in done.err
    assert "choose another --port" in done.err
    init_project(str(tmp_path))
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"
    done = run_mlgate("ui", cwd=tmp_path, env={"MLGATE_REGISTRY": unreachable})
    assert done.code == 2 and "cannot reach the registry" in done.err
    done = run_mlgate("ui", "--port", "70000", cwd=project)
    assert done.code == 2 and "--port" in done.err


def test_a_registry_that_goes_away_gives_503_pages(pg_database: str, tmp_path: Path) -> None:
    """The database stops answering while the dashboard runs: the page is a 503 that
    names the problem, not a 500."""
    from tests.serve.conftest import TcpProxy

    with Registry(pg_database, check=False) as reg:
        reg.upgrade()
        reg.register("m", artifact_digest="e" * 64, flavor="sklearn")
    proxy = TcpProxy(("127.0.0.1", 5432))
    init_project(str(tmp_path))
    env = {"MLGATE_REGISTRY": pg_database.replace(":5432/", f":{proxy.port}/")}
    with _dashboard(tmp_path, env) as url:
        assert httpx.get(f"{url}/models/m").status_code == 200
        proxy.cut()
        answer = httpx.get(f"{url}/models/m", timeout=30)
    assert answer.status_code == 503
    assert "cannot reach the registry" in answer.text


def test_line_chart_is_escaped_and_handles_flat_and_single_points() -> None:
    assert line_chart("x", [], x_label="step") == ""
    flat = line_chart("<b>", [(0, 1.0), (1, 1.0)], x_label="step")
    assert "&lt;b&gt;" in flat and "<b>" not in flat
    single = line_chart("auc", [(3, 0.5)], x_label="version")
    assert single.count("<circle") == 1 and 'cx="210.0"' in single
