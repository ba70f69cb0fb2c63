"""`mlgate serve` against `mlflow models serve`, side by side, on the same model.

    .venv/bin/python benchmarks/serve.py            # about four minutes
    .venv/bin/python benchmarks/serve.py --quick    # shorter loads

Both serve a LogisticRegression trained on scikit-learn's breast_cancer (MLflow from
its registry, mlgate from its own). A closed-loop load generator (asyncio + httpx,
8 concurrent clients in two processes) sends single-row and 100-row requests and prints requests/s, p50,
p99 and errors. Then, under the same load, mlgate's alias is swapped 20 times (the
server follows without a restart), and MLflow's "rollback" (stop the server, start the
other version) is timed the way MLflow users have to do it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _common import arguments, competitor_venv, mlgate_bin

WORKERS = os.environ.get("MLGATE_BENCH_WORKERS", "1")

TRAIN_MLFLOW = r"""
import sys, warnings
warnings.filterwarnings("ignore")
import mlflow
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
mlflow.set_tracking_uri(f"sqlite:///{sys.argv[1]}/mlflow.db")
x, y = load_breast_cancer(return_X_y=True, as_frame=True)
x.columns = [c.replace(" ", "_") for c in x.columns]
for c in (1.0, 0.5):
    with mlflow.start_run():
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(x, y)
        mlflow.sklearn.log_model(model, name="model", registered_model_name="cancer", input_example=x.head(3))
"""

TRAIN_MLGATE = r"""
import sys
import skops.io as sio
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
x, y = load_breast_cancer(return_X_y=True, as_frame=True)
x.columns = [c.replace(" ", "_") for c in x.columns]
x.assign(target=y).to_csv("data.csv", index=False)
for c, name in ((1.0, "v1.skops"), (0.5, "v2.skops")):
    sio.dump(make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(x, y), name)
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready after {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    ok_times: list[float] = field(default_factory=list)
    versions: list[tuple[float, str]] = field(default_factory=list)

    def line(self, label: str) -> str:
        n = len(self.latencies)
        if n == 0:
            return f"| {label} | 0 | - | - | {self.errors} |"
        q = statistics.quantiles(self.latencies, n=100)
        return (
            f"| {label} | {n / self.seconds:.0f} | {statistics.median(self.latencies) * 1000:.1f} ms "
            f"| {q[98] * 1000:.1f} ms | {self.errors} |"
        )

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def drive(url: str, body: dict[str, object], seconds: float, clients: int = 8) -> Load:
    load = Load()
    deadline = time.monotonic() + seconds
    payload = json.dumps(body).encode()  # encoded once: the client must not be the bottleneck
    headers = {"content-type": "application/json"}

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                r = await http.post(url, content=payload, headers=headers)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok, r = False, None
            if ok:
                load.latencies.append(time.monotonic() - began)
                load.ok_times.append(time.monotonic())
                if r is not None and "x-model-version" in r.headers:
                    load.versions.append((time.monotonic(), r.headers["x-model-version"]))
            else:
                load.errors += 1
                await asyncio.sleep(0.01)

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=clients)) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    load.seconds = time.monotonic() - started
    return load


def _drive_process(args: tuple[str, dict[str, object], float, int]) -> Load:
    return asyncio.run(drive(*args))


def drive_split(url: str, body: dict[str, object], seconds: float) -> Load:
    """The 8 clients in two processes of 4: one Python process running httpx saturates
    a core near 550 requests/s, which would measure the client, not the server."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        parts = list(pool.map(_drive_process, [(url, body, seconds, 4)] * 2))
    return Load(
        latencies=[x for p in parts for x in p.latencies],
        errors=sum(p.errors for p in parts),
        seconds=max(p.seconds for p in parts),
    )


def bodies(work: Path, rows: int) -> dict[str, object]:
    import pandas as pd

    frame = pd.read_csv(work / "data.csv").drop(columns=["target"]).head(rows)
    return {"dataframe_split": {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}}


def longest_gap(times: list[float], start: float, end: float) -> float:
    points = [start, *sorted(t for t in times if start <= t <= end), end]
    return max(b - a for a, b in zip(points, points[1:], strict=False))


def main() -> None:
    args = arguments(__doc__)
    seconds = 5.0 if args.quick else 15.0
    mlflow_bin = competitor_venv("mlflow", ["mlflow==3.17.2", "scikit-learn"])
    mlgate = mlgate_bin()
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-serve-") as tmp:
        work = Path(tmp)
        (work / "mlflow").mkdir()
        subprocess.run(
            [mlflow_bin / "python", "-c", TRAIN_MLFLOW, work / "mlflow"],
            cwd=work / "mlflow",  # MLflow writes artifacts to ./mlruns of its working directory
            check=True,
            capture_output=True,
        )
        repo = work / "mlgate"
        repo.mkdir()
        subprocess.run([sys.executable, "-c", TRAIN_MLGATE], cwd=repo, check=True)
        subprocess.run([mlgate, "init"], cwd=repo, check=True, capture_output=True)
        (repo / "mlgate.yaml").write_text(
            "evaluation: {data: data.csv, target: target}\nmodel: {name: cancer, path: v1.skops}\n"
        )
        for name in ("v1.skops", "v2.skops"):
            subprocess.run(
                [mlgate, "register", "cancer", name, "--flavor", "sklearn"],
                cwd=repo,
                check=True,
                capture_output=True,
            )
        subprocess.run(
            [mlgate, "alias", "set", "cancer", "production", "1", "--reason", "bench"],
            cwd=repo,
            check=True,
            capture_output=True,
        )
        (work / "data.csv").write_bytes((repo / "data.csv").read_bytes())

        def start_mlflow(version: int, port: int) -> subprocess.Popen[bytes]:
            env = {
                **os.environ,
                "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow'}/mlflow.db",
                "PATH": f"{mlflow_bin}{os.pathsep}{os.environ['PATH']}",  # it runs `uvicorn`
            }
            return subprocess.Popen(
                [
                    mlflow_bin / "mlflow",
                    "models",
                    "serve",
                    "-m",
                    f"models:/cancer/{version}",
                    "--env-manager",
                    "local",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

        def start_mlgate(port: int) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [mlgate, "serve", "cancer", "--port", str(port), "--workers", WORKERS],
                cwd=repo,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

        results: dict[str, dict[str, object]] = {}
        for label, start, ready_path in (
            ("MLflow", lambda p: start_mlflow(1, p), "/ping"),
            ("mlgate", start_mlgate, "/v2/health/ready"),
        ):
            port = free_port()
            process = start(port)
            try:
                launch = wait_ready(f"http://127.0.0.1:{port}{ready_path}", process)
                url = f"http://127.0.0.1:{port}/invocations"
                one = drive_split(url, bodies(work, 1), seconds)
                hundred = drive_split(url, bodies(work, 100), seconds)
            finally:
                stop(process)
            results[label] = {"launch": launch, "one": one, "hundred": hundred}

        print(
            f"\nserving a breast_cancer LogisticRegression, 8 closed-loop clients, {seconds:g} s each\n"
        )
        print("| server, request | requests/s | p50 | p99 | errors |")
        print("|---|---|---|---|---|")
        for label in ("MLflow", "mlgate"):
            r = results[label]
            print(r["one"].line(f"{label}, 1 row"))  # type: ignore[attr-defined]
            print(r["hundred"].line(f"{label}, 100 rows"))  # type: ignore[attr-defined]
        for kind in ("one", "hundred"):
            ratio = results["mlgate"][kind].rps / max(results["MLflow"][kind].rps, 1e-9)  # type: ignore[attr-defined]
            print(
                f"\nthroughput ratio ({'1 row' if kind == 'one' else '100 rows'}): {ratio:.1f}x (target >= 10x)",
                end="",
            )
        p99 = statistics.quantiles(results["mlgate"]["one"].latencies, n=100)[98] * 1000  # type: ignore[attr-defined]
        print(f"\nmlgate p99 (1 row): {p99:.1f} ms (target < 50 ms)")
        launch_ratio = results["MLflow"]["launch"] / results["mlgate"]["launch"]  # type: ignore[operator]
        print(
            f"launch to ready: MLflow {results['MLflow']['launch']:.2f} s, mlgate "
            f"{results['mlgate']['launch']:.2f} s: {launch_ratio:.1f}x (target >= 3x)"
        )

        # -- swaps under load --------------------------------------------------------
        port = free_port()
        process = start_mlgate(port)
        wait_ready(f"http://127.0.0.1:{port}/v2/health/ready", process)
        switch_delays: list[float] = []

        async def swaps() -> Load:
            url = f"http://127.0.0.1:{port}/invocations"
            task = asyncio.create_task(drive(url, bodies(work, 1), 30.0))
            await asyncio.sleep(1.0)
            current = 1
            for _ in range(20):
                target = 2 if current == 1 else 1
                moved = time.monotonic()
                await asyncio.to_thread(
                    subprocess.run,
                    [
                        mlgate,
                        "alias",
                        "set",
                        "cancer",
                        "production",
                        str(target),
                        "--reason",
                        "swap",
                    ],
                    cwd=repo,
                    check=True,
                    capture_output=True,
                )
                moved = time.monotonic()
                while True:
                    r = await asyncio.to_thread(
                        httpx.get, f"http://127.0.0.1:{port}/v2/health/ready"
                    )
                    if r.headers.get("x-model-version") == str(target):
                        switch_delays.append(time.monotonic() - moved)
                        break
                    await asyncio.sleep(0.01)
                current = target
                await asyncio.sleep(0.3)
            return await task

        try:
            swapped = asyncio.run(swaps())
        finally:
            stop(process)
        print(
            f"\nmlgate, 20 alias swaps under load: {swapped.errors} failed requests of "
            f"{len(swapped.latencies) + swapped.errors}; switch visible after median "
            f"{statistics.median(switch_delays):.2f} s, max {max(switch_delays):.2f} s (target: 0 failed, < 1 s)"
        )

        # -- MLflow's rollback: restart with the other version --------------------------
        port = free_port()
        process = start_mlflow(2, port)
        wait_ready(f"http://127.0.0.1:{port}/ping", process)

        async def restart() -> tuple[Load, float, float]:
            url = f"http://127.0.0.1:{port}/invocations"
            task = asyncio.create_task(drive(url, bodies(work, 1), 25.0))
            await asyncio.sleep(2.0)
            began = time.monotonic()
            stop(process)
            nonlocal_new = start_mlflow(1, port)
            await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{port}/ping", nonlocal_new)
            ended = time.monotonic()
            load = await task
            stop(nonlocal_new)
            return load, began, ended

        load, began, ended = asyncio.run(restart())
        gap = longest_gap(load.ok_times, began - 0.5, ended + 0.5)
        print(
            f"MLflow rollback by restart under the same load: {load.errors} failed requests, "
            f"{gap:.1f} s without a successful response"
        )


if __name__ == "__main__":
    main()
