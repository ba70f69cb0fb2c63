"""A registered project and real `mlgate serve` processes on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mlgate.cli import main
from mlgate.config import init_project
from tests.cli.gate_project import make_gate_project
from tests.conftest import free_port

BROKEN = '''\
import numpy as np
import skops.io as sio


class Broken:
    """Version 1's model, but it raises on about one single-row request in five."""

    def __init__(self, path):
        self.inner = sio.load(path)
        self.classes_ = self.inner.classes_
        self.feature_names_in_ = self.inner.feature_names_in_

    def predict_proba(self, x):
        if len(x) == 1 and int(abs(float(np.asarray(x)[0, 0])) * 1000) % 5 == 0:
            raise RuntimeError("deliberately broken")
        return self.inner.predict_proba(x)

    def predict(self, x):
        return self.predict_proba(x).argmax(1)


def load(path):
    return Broken(path)
'''


def cli(root: Path, *args: str) -> None:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        main(list(args))
    except SystemExit as exc:
        assert exc.code in (0, None), (args, exc.code)
    finally:
        os.chdir(cwd)


def train(root: Path, c: float, out: str) -> None:
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = pd.read_csv(root / "data" / "train.csv")
    x, y = train.drop(columns=["target"]), train["target"]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(x, y)
    sio.dump(model, root / out)


def build_project(root: Path, registry: str | None = None) -> Path:
    """cancer@1 (good, production), @2 (the same data, C=0.9: equal), @3 (raises on 20%
    of single rows), @4 (a corrupt file)."""
    root.mkdir()
    init_project(str(root))
    make_gate_project(root)
    if registry is not None:
        with (root / "mlgate.yaml").open("a") as fh:
            fh.write(f"registry: {registry}\n")
    (root / "broken.py").write_text(BROKEN)
    train(root, 1.0, "models/v1.skops")
    train(root, 0.9, "models/v2.skops")
    (root / "models" / "v4.skops").write_bytes(b"not a model")
    cli(root, "register", "cancer", "models/v1.skops", "--flavor", "sklearn")
    cli(root, "register", "cancer", "models/v2.skops", "--flavor", "sklearn")
    cli(root, "register", "cancer", "models/v1.skops", "--flavor", "python:broken:load")
    _register_corrupt(root)
    cli(root, "alias", "set", "cancer", "production", "1", "--reason", "first")
    return root


def _register_corrupt(root: Path) -> None:
    """Version 4: its artifact is garbage (registration would refuse it, so it goes in
    through the Python API, as a broken upload would)."""
    from mlgate.config import load_project
    from mlgate.registry import Registry
    from mlgate.store import Workspace

    project = load_project(str(root))
    with Workspace.for_project(project) as ws:
        pointer = ws.put_path("models/v4.skops", cwd=str(root))
    with Registry(project.config.registry, root=str(root)) as reg:
        example = reg.get("cancer", 1)
        reg.register(
            "cancer",
            artifact_digest=pointer.digest,
            flavor="sklearn",
            signature=example.signature,
            input_example=example.input_example,
        )


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    root: Path
    err: str | None = None

    def stop(self) -> str:
        """Stop it (once) and return what it wrote to stderr."""
        if self.err is not None:
            return self.err
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stderr is not None
        self.err = self.process.stderr.read()
        self.process.stderr.close()
        return self.err

    def version(self) -> str | None:
        return httpx.get(f"{self.url}/v2/health/live", timeout=5).headers.get("x-model-version")


def start_server(
    root: Path, *args: str, env: dict[str, str] | None = None, ready: bool = True
) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlgate",
            "serve",
            "cancer",
            "--port",
            str(port),
            "--poll",
            "0.2",
            *args,
        ],
        cwd=root,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process, root)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {server.stop()}")
        try:
            r = httpx.get(f"{server.url}/v2/health/{'ready' if ready else 'live'}", timeout=2)
            if r.status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not become ready: {server.stop()}")


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds until ``check()`` held; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_project(tmp_path_factory.mktemp("serve") / "template")


@pytest.fixture
def project(project_template: Path, tmp_path: Path) -> Path:
    """A private copy (the registry changes in each test)."""
    root = tmp_path / "project"
    shutil.copytree(project_template, root, symlinks=True)
    return root


@pytest.fixture
def server(project: Path) -> Iterator[Server]:
    running = start_server(project)
    yield running
    running.stop()


class TcpProxy:
    """A TCP forwarder on 127.0.0.1 to ``target``; :meth:`cut` drops every connection
    and refuses new ones, as an outage would."""

    def __init__(self, target: tuple[str, int]) -> None:
        import socket
        import threading

        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: object, dst: object) -> None:
        import socket

        assert isinstance(src, socket.socket) and isinstance(dst, socket.socket)
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        import socket

        self.open = False
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                s.close()
            self.sockets.clear()
