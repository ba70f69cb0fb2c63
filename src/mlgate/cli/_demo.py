"""`mlgate demo`: the bundled example, end to end, narrated.

Every step runs the real `mlgate` CLI in a throwaway repository, so what the demo
shows is exactly what a user would see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from mlgate._errors import MlgateError


class _Story:
    def __init__(self, root: Path) -> None:
        from rich.console import Console

        self.console = Console(highlight=False)
        self.root = root
        self.env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "mlgate demo",
            "GIT_AUTHOR_EMAIL": "demo@example.invalid",
            "GIT_COMMITTER_NAME": "mlgate demo",
            "GIT_COMMITTER_EMAIL": "demo@example.invalid",
        }

    def chapter(self, title: str) -> None:
        self.console.rule(f"[bold]{title}")

    def say(self, text: str) -> None:
        self.console.print(text)

    def run(self, *args: str, cwd: Path | None = None, expect: int = 0) -> str:
        shown = " ".join(args)
        self.console.print(f"[bold cyan]$ {shown}")
        argv = [sys.executable, "-m", "mlgate", *args[1:]] if args[0] == "mlgate" else list(args)
        done = subprocess.run(
            argv, cwd=cwd or self.root, env=self.env, capture_output=True, text=True, check=False
        )
        output = (done.stdout + done.stderr).rstrip()
        if output:
            self.console.print(output, markup=False)
        if done.returncode != expect:
            raise MlgateError(
                f"demo step `{shown}` exited with {done.returncode}, not {expect} as it should"
            )
        if expect:
            self.console.print(f"[yellow](exit code {done.returncode}, as expected)")
        return done.stdout


@click.command("demo")
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    default=None,
    help="Build the demo project in this directory and leave it there.",
)
def demo_cmd(keep: str | None) -> None:
    """Run the bundled example end to end in a temporary directory."""
    if shutil.which("git") is None:
        raise MlgateError("the demo needs git on PATH: it versions the example in a git repository")
    base = Path(keep).resolve() if keep else Path(tempfile.mkdtemp(prefix="mlgate-demo-"))
    if keep and base.exists() and any(base.iterdir()):
        raise MlgateError(f"{base} is not empty; choose a new directory for --keep")
    try:
        _tell(base)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    if keep:
        click.echo(f"The project is in {base / 'churn'}; `mlgate ui` there shows it in a browser.")


def _example() -> Path:
    """The churn example: shipped in the wheel, or in the repository of an editable
    install."""
    from importlib.resources import files

    shipped = Path(str(files("mlgate").joinpath("_examples", "churn")))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[3] / "examples" / "churn"


class _Traffic:
    """Live requests, one row at a time, while a rollout is analysed."""

    def __init__(self, url: str, rows: list[dict[str, object]]) -> None:
        import threading

        self.url, self.rows = url, rows
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=10) as client:
            i = 0
            while not self.stop.is_set():
                row = self.rows[i % len(self.rows)]
                try:
                    r = client.post(self.url, json={"dataframe_records": [row]})
                    self.statuses.append(r.status_code)
                except httpx.HTTPError:
                    self.statuses.append(0)
                i += 1

    def __enter__(self) -> _Traffic:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def summary(self) -> str:
        ok = sum(1 for s in self.statuses if s == 200)
        return (
            f"{len(self.statuses)} live requests, {ok} answered, {len(self.statuses) - ok} failed"
        )


def _serve(project: Path, port: int) -> subprocess.Popen[bytes]:
    import time

    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "mlgate", "serve", "churn", "--port", str(port), "--poll", "0.5"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise MlgateError("the demo's model server exited; run `mlgate serve churn` to see why")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise MlgateError("the demo's model server did not become ready within 60 s")


def _live_rows(project: Path, n: int = 1000) -> list[dict[str, object]]:
    """Requests as the live system would send them: customers of the current data,
    encoded as the example's prepare stage encodes them."""
    import pandas as pd

    customers = pd.read_csv(project / "data" / "customers.csv")
    encoded = pd.get_dummies(customers, columns=["plan"], dtype=float)
    columns = pd.read_csv(project / "data" / "test.csv", nrows=0).columns.drop("churned")
    rows: list[dict[str, object]] = (
        encoded[columns].sample(n, random_state=0).to_dict(orient="records")
    )
    return rows


def _tell(base: Path) -> None:
    import socket

    import httpx

    project = base / "churn"
    shutil.copytree(_example(), project, ignore=shutil.ignore_patterns("__pycache__"))
    s = _Story(project)
    remote = (base / "remote").as_uri()
    with (project / "mlgate.yaml").open("a") as fh:
        fh.write(f"remote: {remote}\n")

    s.chapter("1. Data v1, versioned by content")
    s.run("git", "init", "-q", "-b", "main")
    s.run("mlgate", "init")
    s.run(sys.executable, "generate.py", "--version", "1")
    s.run("mlgate", "add", "data/customers.csv")
    s.run("git", "add", "-A")
    s.run("git", "commit", "-q", "-m", "data v1")

    s.chapter("2. CI: prepare -> tune -> train, gated on absolute floors, promoted")
    s.run("mlgate", "dag")
    s.run("mlgate", "ci", "--deploy")
    s.say("With no champion yet, only the absolute gates applied, and the report says so.")

    s.chapter("3. Serving churn@production")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = _serve(project, port)
    try:
        url = f"http://127.0.0.1:{port}/invocations"
        records = _live_rows(project)
        answer = httpx.post(url, json={"dataframe_records": records[:3]})
        s.say(
            f"POST /invocations -> {answer.json()} from version {answer.headers['x-model-version']}"
        )

        s.chapter("4. Data v2 drifts and churn rises: retrain, gate against v1, canary")
        s.run(sys.executable, "generate.py", "--version", "2")
        s.say(
            "A cheaper competitor arrived: spend shifts up and high spenders leave more "
            "often. The retrained model must keep significantly more value per customer "
            "than v1 (retained_value, a superiority test), and lose no AUC or accuracy."
        )
        s.run("mlgate", "status")
        s.run("mlgate", "add", "data/customers.csv", "-q")
        records = _live_rows(project)  # live traffic comes from the new market now
        with _Traffic(url, records) as traffic:
            s.run("mlgate", "ci", "--deploy")
        s.say(f"During the canary: {traffic.summary()}.")
        health = url.replace("/invocations", "/v2/health/live")
        version = httpx.get(health).headers["x-model-version"]
        s.say(f"The server now answers with version {version}.")

        s.chapter("5. A worse model (a unit bug in its training data) is blocked by the gates")
        s.say(
            "The training extract counts support calls per week instead of per month, so "
            "the model overrates every call and flags far too many customers."
        )
        (project / "params.yaml").write_text("degrade: true\n")
        s.run("mlgate", "ci", expect=1)
        (project / "params.yaml").write_text("degrade: false\n")

        s.chapter("6. Forced out anyway, version 3 is caught by the canary and rolled back")
        with _Traffic(url, records) as traffic:
            s.run("mlgate", "rollout", "churn", "3", expect=1)  # the canary of mlgate.yaml
        s.say(
            f"During the canary: {traffic.summary()}. Version 3 answered without errors, "
            "but it called far more customers churners than version 2 does on the same "
            "traffic: the analysis aborted it, and production stayed on version 2."
        )

        s.chapter("7. A manual rollback: every server follows within a second")
        s.run("mlgate", "rollback", "churn", "--reason", "demo: back to the first model")
        import time

        time.sleep(1.0)
        live = httpx.get(health).headers["x-model-version"]
        s.say(f"The server answers with version {live} again, without a restart.")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=15)

    s.chapter("8. Versions, aliases and the history of every move")
    s.run("mlgate", "models", "show", "churn")
    s.run("mlgate", "history", "churn")
    s.chapter("Done")
    s.say(
        "Data versioned by content; a pipeline that tunes and trains, cached; paired "
        "statistical gates that let a sound model through, block a worse one and say why; "
        "a server that follows its alias; a canary that promoted a good version and "
        "aborted a bad one by itself; and a rollback without a restart."
    )
