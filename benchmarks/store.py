"""mlgate's store against DVC on the same generated workloads, side by side.

    .venv/bin/python benchmarks/store.py            # all workloads (about 10 minutes)
    .venv/bin/python benchmarks/store.py --quick    # fewer runs, smaller push

DVC 3.67.1 (with dvc-s3) is installed into benchmarks/.venv-dvc on first use. Both
tools run on copies of the same data, in fresh git repositories, with dirty pages
flushed before each timed command. The push goes to one moto S3 server on loopback.
Prints medians and the ratio DVC / mlgate for each workload.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    GIT_ENV,
    Row,
    alternate,
    arguments,
    dvc_bin,
    fresh_dir,
    mlgate_bin,
    report,
    run,
    sync,
)

DVC_ENV = {
    "DVC_NO_ANALYTICS": "1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
N_FILES = [20_000]  # set from the command line
BIG_MIB = [1024]


class Tools:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.dvc = dvc_bin()
        self.mlgate = mlgate_bin()
        self.env = {**DVC_ENV, **GIT_ENV}

    def repo(self, tool: str, name: str) -> Path:
        path = fresh_dir(self.base, f"{tool}-{name}")
        subprocess.run(["git", "init", "-q"], cwd=path, check=True)
        if tool == "dvc":
            run([self.dvc, "init", "-q"], path, self.env)
            run([self.dvc, "config", "core.autostage", "false"], path, self.env)
        else:
            run([self.mlgate, "init"], path, self.env)
        return path

    def cmd(self, tool: str, *args: str) -> list[str]:
        return [str(self.dvc if tool == "dvc" else self.mlgate), *args]


def make_big_file(path: Path, size: int) -> None:
    block = bytearray(os.urandom(1 << 20))
    with path.open("wb") as fh:
        for i in range(size >> 20):
            block[:8] = i.to_bytes(8, "little")
            fh.write(block)


def make_small_files(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    for i in range(count):
        (directory / f"f{i:05d}.bin").write_bytes(os.urandom(4096))


def bench_big_add(t: Tools, template: Path, rounds: int) -> Row:
    row = Row(f"add of one {BIG_MIB[0]} MiB file, fresh cache", ">= 4x", min_ratio=4)

    def measure(tool: str) -> None:
        repo = t.repo(tool, "big")
        shutil.copyfile(template, repo / "big.bin")
        sync()
        elapsed = run(
            t.cmd(tool, "add", "big.bin", *(["-q"] if tool == "mlgate" else [])), repo, t.env
        )
        (row.theirs if tool == "dvc" else row.ours).append(elapsed)
        shutil.rmtree(repo)

    alternate(rounds, lambda: measure("dvc"), lambda: measure("mlgate"))
    return row


def bench_dir(
    t: Tools, template: Path, rounds: int, status_rounds: int
) -> tuple[list[Row], dict[str, Path]]:
    add = Row(f"add of a directory of {N_FILES[0]:,} files of 4 KiB", ">= 5x", min_ratio=5)
    repos: dict[str, Path] = {}

    def measure(tool: str) -> None:
        repo = t.repo(tool, "dir")
        shutil.copytree(template, repo / "data")
        sync()
        elapsed = run(
            t.cmd(tool, "add", "data", *(["-q"] if tool == "mlgate" else [])), repo, t.env
        )
        (add.theirs if tool == "dvc" else add.ours).append(elapsed)
        repos[tool] = repo

    alternate(rounds, lambda: measure("dvc"), lambda: measure("mlgate"))
    sync()

    clean = Row("status with nothing changed, after that add", ">= 10x", min_ratio=10)
    changed = Row(f"status after one of the {N_FILES[0]:,} files changed", ">= 10x", min_ratio=10)
    for tool in ("dvc", "mlgate"):
        run(t.cmd(tool, "status"), repos[tool], t.env)  # warm the page cache alike

    def status(tool: str) -> None:
        (clean.theirs if tool == "dvc" else clean.ours).append(
            run(t.cmd(tool, "status"), repos[tool], t.env)
        )

    def status_changed(tool: str, state: list[int]) -> None:
        state[0] += 1
        (repos[tool] / "data" / "f00042.bin").write_bytes(os.urandom(4096))
        (changed.theirs if tool == "dvc" else changed.ours).append(
            run(t.cmd(tool, "status"), repos[tool], t.env)
        )

    alternate(status_rounds, lambda: status("dvc"), lambda: status("mlgate"))
    counter = [0]
    alternate(
        status_rounds,
        lambda: status_changed("dvc", counter),
        lambda: status_changed("mlgate", counter),
    )
    for tool in ("dvc", "mlgate"):  # restore so the push sends the recorded version
        run(
            t.cmd(tool, "checkout", *(["--force"] if tool == "mlgate" else ["-f"])),
            repos[tool],
            t.env,
        )
    return [add, clean, changed], repos


def bench_push(t: Tools, repos: dict[str, Path], rounds: int, endpoint: str) -> Row:
    import boto3

    row = Row(f"push of the {N_FILES[0]:,} files to a moto S3 server", ">= 3x", min_ratio=3)
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def measure(tool: str) -> None:
        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket)
        repo = repos[tool]
        if tool == "dvc":
            run([t.dvc, "remote", "add", "-f", "-d", "s3", f"s3://{bucket}/dvc"], repo, t.env)
            run([t.dvc, "remote", "modify", "s3", "endpointurl", endpoint], repo, t.env)
            elapsed = run([t.dvc, "push", "-q"], repo, t.env)
            row.theirs.append(elapsed)
        else:
            (repo / "mlgate.yaml").write_text(
                f"remote: {{url: s3://{bucket}/mlgate, endpoint: '{endpoint}', "
                "region: us-east-1}\n"
            )
            row.ours.append(run([t.mlgate, "push", "-q"], repo, t.env))

    alternate(rounds, lambda: measure("dvc"), lambda: measure("mlgate"))
    return row


def bench_startup(t: Tools, rounds: int) -> list[Row]:
    help_row = Row("`--help`", "mlgate < 150 ms")
    status_row = Row("no-op `status` on a small project", "mlgate < 150 ms")
    repos = {}
    for tool in ("dvc", "mlgate"):
        repo = t.repo(tool, "small")
        (repo / "small.csv").write_text("a,b\n1,2\n")
        run(t.cmd(tool, "add", "small.csv"), repo, t.env)
        repos[tool] = repo

    def measure(tool: str) -> None:
        target = help_row.theirs if tool == "dvc" else help_row.ours
        target.append(run(t.cmd(tool, "--help"), repos[tool], t.env))
        target = status_row.theirs if tool == "dvc" else status_row.ours
        target.append(run(t.cmd(tool, "status"), repos[tool], t.env))

    alternate(rounds, lambda: measure("dvc"), lambda: measure("mlgate"))
    return [help_row, status_row]


def main() -> None:
    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--files", type=int, default=20_000)
        parser.add_argument("--big-mib", type=int, default=1024)
        parser.add_argument("--skip", default="", help="comma-separated: big,dir,push,startup")

    args = arguments(__doc__, extra)
    skip = set(filter(None, args.skip.split(",")))
    N_FILES[0], BIG_MIB[0] = args.files, args.big_mib
    big_rounds, dir_rounds, status_rounds, push_rounds = (
        (2, 2, 3, 1) if args.quick else (5, 5, 9, 3)
    )

    base = Path(tempfile.mkdtemp(prefix="mlgate-bench-", dir=os.environ.get("BENCH_DIR")))
    try:
        tools = Tools(base)
        rows: list[Row] = []
        if "startup" not in skip:
            rows += bench_startup(tools, 15)
        if "big" not in skip:
            template = base / "template-big.bin"
            make_big_file(template, args.big_mib << 20)
            rows.append(bench_big_add(tools, template, big_rounds))
            template.unlink()
        repos: dict[str, Path] = {}
        if "dir" not in skip or "push" not in skip:
            template_dir = base / "template-dir"
            make_small_files(template_dir, args.files)
            dir_rows, repos = bench_dir(tools, template_dir, dir_rounds, status_rounds)
            rows += dir_rows
        if "push" not in skip:
            import logging

            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            try:
                rows.append(bench_push(tools, repos, push_rounds, f"http://{host}:{port}"))
            finally:
                server.stop()
        report("mlgate vs DVC 3.67.1 (store)", "DVC", rows, args.json)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
