"""The remote contract over a local directory and over S3 (moto on loopback), and the
failures a remote can have."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgate import RemoteError
from mlgate.config import RemoteConfig
from mlgate.store import Remote, open_remote
from mlgate.testing import RemoteContract
from tests.conftest import free_port


class TestFileRemote(RemoteContract):
    @pytest.fixture(autouse=True)
    def _setup(self, file_remote: RemoteConfig) -> None:
        self.config = file_remote

    def make_remote(self) -> Remote:
        return open_remote(self.config)


class TestS3Remote(RemoteContract):
    @pytest.fixture(autouse=True)
    def _setup(self, s3_remote: RemoteConfig) -> None:
        self.config = s3_remote

    def make_remote(self) -> Remote:
        return open_remote(self.config)


def test_no_remote_configured() -> None:
    with pytest.raises(RemoteError, match="no remote is configured; add `remote:"):
        open_remote(None)


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://host/x", "unsupported remote URL"), ("file://host/x", "needs an absolute path")],
)
def test_unsupported_urls(url: str, message: str) -> None:
    with pytest.raises(RemoteError, match=message):
        open_remote(RemoteConfig(url=url))


def test_unreachable_s3_endpoint(aws_env: None) -> None:
    port = free_port()  # nothing listens there
    remote = open_remote(
        RemoteConfig(
            url="s3://bucket/p", endpoint=f"http://127.0.0.1:{port}", region="us-east-1", timeout=2
        )
    )
    with pytest.raises(RemoteError, match="cannot reach the remote s3://bucket/p"):
        remote.list_keys("objects/")
    with pytest.raises(RemoteError, match="cannot reach"):
        remote.put_bytes("objects/x", b"x")


def test_missing_bucket(s3_endpoint: str, aws_env: None) -> None:
    remote = open_remote(RemoteConfig(url="s3://no-such-bucket/p", endpoint=s3_endpoint))
    with pytest.raises(RemoteError, match="does not exist; create it"):
        remote.list_keys("objects/")


@pytest.fixture
def enforced_auth(s3_endpoint: str) -> Iterator[None]:
    """Make the moto server check credentials (it accepts any by default)."""

    def set_count(value: str) -> None:
        req = urllib.request.Request(
            f"{s3_endpoint}/moto-api/reset-auth",
            data=value.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        urllib.request.urlopen(req, timeout=5).close()

    set_count("0")
    try:
        yield
    finally:
        set_count("inf")


def test_wrong_credentials(
    s3_remote: RemoteConfig, enforced_auth: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG0")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    remote = open_remote(s3_remote)
    with pytest.raises(RemoteError, match="refused the credentials.*AWS_ACCESS_KEY_ID"):
        remote.list_keys("objects/")
    with pytest.raises(RemoteError, match="refused the credentials"):
        remote.put_bytes("objects/aa/b", b"x")


def test_local_dir_remote_outputs_files_where_configured(tmp_path: Path) -> None:
    remote = open_remote(RemoteConfig(url=(tmp_path / "r").as_uri()))
    remote.put_bytes("objects/ab/cd", b"x")
    assert (tmp_path / "r" / "objects" / "ab" / "cd").read_bytes() == b"x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Error performing GET in 403.2ms, after 2 retries, retry_timeout: 4s - HTTP error: "
            "error sending request",
            "cannot reach",
        ),
        (
            "Error performing PUT: Server returned non-2xx status code: 500, retry_timeout: 4s, "
            "elapsed: 403ms",
            "failed while uploading",
        ),
        (
            "Client error with status 403 Forbidden: <Code>AccessDenied</Code>",
            "refused the credentials",
        ),
        ("<Code>NoSuchBucket</Code>", "does not exist"),
    ],
)
def test_remote_errors_are_classified_by_their_real_cause(text: str, expected: str) -> None:
    from mlgate.store._remote import _remote_error

    assert expected in str(_remote_error(RuntimeError(text), "s3://b/p", "uploading x"))
