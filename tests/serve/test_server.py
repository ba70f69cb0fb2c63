"""A real `mlgate serve` process, called with real clients: httpx, tritonclient and an
MLflow-format payload."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from mlgate.registry import Registry
from tests.serve.conftest import Server, cli, start_server, wait_for


def rows(project: Path, n: int = 3) -> pd.DataFrame:
    return pd.read_csv(project / "data" / "test.csv").drop(columns=["target"]).head(n)


def split(frame: pd.DataFrame) -> dict[str, object]:
    return {"dataframe_split": {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}}


def test_mlflow_clients_work_unchanged(server: Server, project: Path) -> None:
    frame = rows(project)
    for body in (
        split(frame),
        {"dataframe_records": frame.to_dict(orient="records")},
        {"instances": frame.to_numpy().tolist()},
        {"inputs": {c: frame[c].tolist() for c in frame.columns}},
    ):
        r = httpx.post(f"{server.url}/invocations", json=body)
        assert r.status_code == 200, r.text
        assert r.headers["x-model-version"] == "1"
        assert len(r.json()["predictions"]) == 3
    assert httpx.get(f"{server.url}/ping").status_code == 200


def test_tritonclient_speaks_the_v2_protocol(server: Server, project: Path) -> None:
    import tritonclient.http as triton

    client = triton.InferenceServerClient(url=server.url.removeprefix("http://"))
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("cancer")
        meta = client.get_model_metadata("cancer")
        assert meta["name"] == "cancer" and meta["versions"] == ["1"]
        names = [i["name"] for i in meta["inputs"]]
        assert names[0] == "mean_radius" and len(names) == 30
        frame = rows(project, 4)
        inputs = []
        for name in names:
            tensor = triton.InferInput(name, [4], "FP64")
            tensor.set_data_from_numpy(frame[name].to_numpy(np.float64), binary_data=False)
            inputs.append(tensor)
        outputs = [
            triton.InferRequestedOutput("predict", binary_data=False),
            triton.InferRequestedOutput("predict_proba", binary_data=False),
        ]
        result = client.infer("cancer", inputs, outputs=outputs)
        assert result.as_numpy("predict").shape == (4,)
        proba = result.as_numpy("predict_proba")
        assert proba.shape == (4,) and np.all((proba >= 0) & (proba <= 1))
        assert result.get_response()["model_version"] == "1"
    finally:
        client.close()


def test_v2_infer_with_one_matrix_and_a_pinned_version(server: Server, project: Path) -> None:
    frame = rows(project, 2)
    body = {
        "id": "req-1",
        "inputs": [
            {
                "name": "x",
                "shape": [2, 30],
                "datatype": "FP64",
                "data": frame.to_numpy().ravel().tolist(),
            }
        ],
    }
    r = httpx.post(f"{server.url}/v2/models/cancer/versions/1/infer", json=body)
    assert r.status_code == 200 and r.json()["id"] == "req-1"
    r = httpx.post(f"{server.url}/v2/models/cancer/versions/2/infer", json=body)
    assert r.status_code == 404 and "version 2 of 'cancer' is not being served" in r.json()["error"]
    r = httpx.post(f"{server.url}/v2/models/cancer/versions/one/infer", json=body)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/invocations", b"{not json", 400, "not valid JSON"),
        ("/invocations", b"\xff\xfe", 400, "not valid JSON"),
        ("/invocations", b'{"instances": [[NaN]]}', 400, "NaN is not a number JSON allows"),
        ("/invocations", b'{"instances": [[-Infinity]]}', 400, "Infinity is not a number JSON"),
        ("/invocations", b'{"instances": [[1e400]]}', 400, "Number out of range"),
        ("/invocations", b'{"note": "NaN", "instances": [[1]', 400, "not valid JSON: Input data"),
        (
            "/invocations",
            json.dumps({"dataframe_records": [{"mean_radius": "big"}]}).encode(),
            422,
            "missing input column(s)",
        ),
        (
            "/invocations",
            json.dumps({"instances": [[1.0, 2.0]]}).encode(),
            422,
            "must be a list of 30 values",
        ),
        (
            "/v2/models/cancer/infer",
            json.dumps(
                {
                    "inputs": [
                        {"name": "mean_radius", "shape": [1], "datatype": "FP64", "data": ["x"]}
                    ]
                }
            ).encode(),
            422,
            "missing input column(s)",
        ),
        ("/v2/models/other/infer", b"{}", 404, "serves 'cancer', not 'other'"),
        ("/v2/models/cancer/infer", b"[]", 422, "must be {'inputs'"),
    ],
)
def test_bad_requests_get_4xx_naming_the_problem(
    server: Server, path: str, body: bytes, status: int, message: str
) -> None:
    r = httpx.post(
        f"{server.url}{path}", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert message in r.json()["error"]


def test_wrong_dtype_names_the_column(server: Server, project: Path) -> None:
    record = rows(project, 1).to_dict(orient="records")[0]
    record["mean_area"] = "huge"
    r = httpx.post(f"{server.url}/invocations", json={"dataframe_records": [record]})
    assert (
        r.status_code == 422 and "column 'mean_area' row 0: expected a number" in r.json()["error"]
    )


def test_limits_token_metrics_and_metadata(project: Path) -> None:
    server = start_server(project, "--token", "s3cret", "--max-body-mb", "0.01")
    try:
        frame = rows(project, 1)
        assert httpx.post(f"{server.url}/invocations", json=split(frame)).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        assert (
            httpx.post(f"{server.url}/invocations", json=split(frame), headers=auth).status_code
            == 200
        )
        assert (
            httpx.post(
                f"{server.url}/invocations",
                json=split(frame),
                headers={"Authorization": "Bearer nope"},
            ).status_code
            == 401
        )
        big = {"instances": [[0.0] * 30] * 200}
        r = httpx.post(f"{server.url}/invocations", json=big, headers=auth)
        assert r.status_code == 413 and "larger than" in r.json()["error"]
        assert httpx.get(f"{server.url}/v2/health/live").status_code == 200  # health needs no token
        text = httpx.get(f"{server.url}/metrics").text
        assert 'mlgate_requests_total{endpoint="mlflow",model="cancer",version="1"} 1.0' in text
        assert "mlgate_request_seconds_bucket" in text
        assert httpx.get(f"{server.url}/v2/models/other").status_code == 404
        assert httpx.get(f"{server.url}/v2/models/other/ready").status_code == 404
    finally:
        server.stop()


def test_hot_swap_and_rollback_without_a_restart(server: Server, project: Path) -> None:
    cli(project, "alias", "set", "cancer", "production", "2", "--reason", "newer")
    took = wait_for(lambda: server.version() == "2")
    assert took < 2.0
    cli(project, "rollback", "cancer", "--reason", "back")
    assert wait_for(lambda: server.version() == "1") < 2.0
    with Registry("sqlite:///.mlgate/registry.db", root=str(project)) as reg:
        assert reg.history("cancer")[-1].reason == "rollback: back"


def test_a_version_that_fails_to_load_never_takes_traffic(server: Server, project: Path) -> None:
    cli(project, "alias", "set", "cancer", "production", "4", "--reason", "corrupt upload")
    with Registry("sqlite:///.mlgate/registry.db", root=str(project)) as reg:
        wait_for(lambda: any(e.kind == "load-failed" for e in reg.deploy_events("cancer")))
        [event] = [e for e in reg.deploy_events("cancer") if e.kind == "load-failed"]
    assert event.version == 4 and "not a readable skops file" in event.message
    assert server.version() == "1"
    r = httpx.post(f"{server.url}/invocations", json=split(rows(project, 1)))
    assert r.status_code == 200 and r.headers["x-model-version"] == "1"


def test_a_registry_outage_keeps_the_last_good_version(tmp_path: Path, pg_database: str) -> None:
    from tests.serve.conftest import TcpProxy, build_project

    proxy = TcpProxy(("127.0.0.1", 5432))
    url = pg_database.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    project = build_project(tmp_path / "pg", registry=url)
    server = start_server(project)
    try:
        proxy.cut()  # the registry is gone
        time.sleep(1.0)
        assert httpx.get(f"{server.url}/v2/health/ready").status_code == 200
        r = httpx.post(f"{server.url}/invocations", json=split(rows(project, 1)))
        assert r.status_code == 200 and r.headers["x-model-version"] == "1"
    finally:
        err = server.stop()
    assert "registry unreachable, serving what is loaded" in err


def test_two_servers_on_one_postgresql_registry_follow_a_rollback(
    tmp_path: Path, pg_database: str
) -> None:
    from tests.serve.conftest import build_project

    project = build_project(tmp_path / "pg", registry=pg_database)
    servers = [start_server(project, "--poll", "5"), start_server(project, "--poll", "5")]
    try:
        cli(project, "alias", "set", "cancer", "production", "2", "--reason", "v2")
        # LISTEN/NOTIFY wakes them long before their 5-second poll.
        assert all(wait_for(lambda s=s: s.version() == "2") < 1.5 for s in servers)
        cli(project, "rollback", "cancer", "--reason", "v2 misbehaves")
        assert all(wait_for(lambda s=s: s.version() == "1") < 1.5 for s in servers)
    finally:
        for s in servers:
            s.stop()


def test_no_version_means_not_ready_and_unknown_models_fail_fast(project: Path) -> None:
    cli(project, "alias", "delete", "cancer", "production", "--reason", "nothing live")
    server = start_server(project, ready=False)
    try:
        r = httpx.get(f"{server.url}/v2/health/ready")
        assert r.status_code == 503 and "no version of 'cancer@production'" in r.json()["error"]
        r = httpx.post(f"{server.url}/invocations", json=split(rows(project, 1)))
        assert r.status_code == 503
        assert httpx.get(f"{server.url}/v2/models/cancer").status_code == 503
    finally:
        server.stop()
    from tests.conftest import run_mlgate

    done = run_mlgate("serve", "nosuch", cwd=project)
    assert done.code == 2 and "nosuch" in done.err


def test_deployment_files(project: Path) -> None:
    import yaml

    from tests.conftest import run_mlgate

    docker = run_mlgate("serve", "cancer", "--print-dockerfile", cwd=project)
    assert docker.code == 0 and 'CMD ["mlgate", "serve", "cancer"' in docker.out
    k8s = run_mlgate("serve", "cancer", "--print-k8s", cwd=project)
    deployment, service = list(yaml.safe_load_all(k8s.out))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:3] == ["mlgate", "serve", "cancer"]
    assert {e["name"] for e in container["env"]} >= {"MLGATE_REGISTRY", "AWS_ACCESS_KEY_ID"}
    assert service["kind"] == "Service"
