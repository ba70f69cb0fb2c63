"""Remotes: object storage (S3, GCS, Azure, a local directory) spoken to through obstore.

The remote holds the same layout as the local cache: ``objects/ab/cdef...``. Objects
are immutable, so a key that exists never needs writing again, and each put is atomic
(S3 multipart uploads are invisible until complete), so an interrupted push resumes
by listing what arrived.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse

from mlgate._errors import ObjectNotFound, RemoteError
from mlgate.config import RemoteConfig

if TYPE_CHECKING:
    from obstore.store import ClientConfig, ObjectStore, RetryConfig, S3Config


class Remote(Protocol):
    """A key/value blob store that mlgate transfers objects to and from.

    Contract (checked for every backend by :mod:`mlgate.testing`):

    - ``list_keys(prefix)`` returns every key under ``prefix`` (relative to the remote's
      root) in one batched listing; an empty or missing prefix gives an empty set.
    - ``put_file`` makes ``key`` hold the file's bytes atomically: a reader sees the old
      state or the whole new object. Putting an existing key is allowed.
    - ``get_file`` writes the object to ``dest`` (which it creates) and returns its size;
      it, ``get_bytes`` and ``get_ranges`` raise :class:`~mlgate.ObjectNotFound` when
      the key does not exist.
    - Every failure to reach the service, or a refusal of the credentials, raises
      :class:`~mlgate.RemoteError` whose message names the URL and the fix.
    - Every method may be called from several threads at once (transfers run ``-j`` of
      them); implementations release the GIL while they wait on the network.
    """

    url: str

    def list_keys(self, prefix: str) -> set[str]: ...

    def put_file(self, key: str, path: str) -> None: ...

    def get_file(self, key: str, dest: str) -> int: ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def get_ranges(self, key: str, starts: Sequence[int], lengths: Sequence[int]) -> list[bytes]:
        """Byte ranges of one object, fetched in as few requests as possible."""
        ...


class ObstoreRemote:
    """The :class:`Remote` for every URL scheme obstore supports.

    It uses obstore's blocking calls from worker threads rather than its asyncio API:
    completing asyncio futures from obstore's runtime threads races with interpreter
    shutdown and can abort the process after a successful transfer.
    """

    def __init__(self, config: RemoteConfig) -> None:
        self.url = config.url
        self._store = _make_store(config)

    def list_keys(self, prefix: str) -> set[str]:
        import obstore

        keys: set[str] = set()
        try:
            for chunk in obstore.list(self._store, prefix=prefix, chunk_size=1000):
                keys.update(meta["path"] for meta in chunk)
        except FileNotFoundError:
            return keys
        except Exception as exc:
            raise _remote_error(exc, self.url, "listing") from None
        return keys

    def put_file(self, key: str, path: str) -> None:
        from pathlib import Path

        import obstore

        try:
            obstore.put(self._store, key, Path(path))
        except Exception as exc:
            raise _remote_error(exc, self.url, f"uploading {key}") from None

    def put_bytes(self, key: str, data: bytes) -> None:
        import obstore

        try:
            obstore.put(self._store, key, data)
        except Exception as exc:
            raise _remote_error(exc, self.url, f"uploading {key}") from None

    def get_file(self, key: str, dest: str) -> int:
        import obstore

        size = 0
        try:
            response = obstore.get(self._store, key)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                for chunk in response.stream(min_chunk_size=4 << 20):
                    view = memoryview(chunk)
                    size += len(view)
                    while view:
                        view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except FileNotFoundError as exc:
            if exc.filename == dest:
                raise
            raise ObjectNotFound(f"{key} is not on the remote {self.url}") from None
        except OSError:
            raise
        except Exception as exc:
            raise _remote_error(exc, self.url, f"downloading {key}") from None
        return size

    def get_bytes(self, key: str) -> bytes:
        import obstore

        try:
            return bytes(obstore.get(self._store, key).bytes())
        except FileNotFoundError:
            raise ObjectNotFound(f"{key} is not on the remote {self.url}") from None
        except Exception as exc:
            raise _remote_error(exc, self.url, f"downloading {key}") from None

    def get_ranges(self, key: str, starts: Sequence[int], lengths: Sequence[int]) -> list[bytes]:
        import obstore

        try:
            parts = obstore.get_ranges(self._store, key, starts=starts, lengths=lengths)
            return [bytes(part) for part in parts]
        except FileNotFoundError:
            raise ObjectNotFound(f"{key} is not on the remote {self.url}") from None
        except Exception as exc:
            raise _remote_error(exc, self.url, f"downloading {key}") from None


def open_remote(config: RemoteConfig | None) -> Remote:
    """The remote described by ``config``.

    Raises:
        RemoteError: none is configured, or the URL's scheme is unsupported.
    """
    if config is None:
        raise RemoteError(
            "no remote is configured; add `remote: s3://bucket/prefix` (or file:///dir) to "
            "mlgate.yaml, set MLGATE_REMOTE, or pass --remote URL"
        )
    return ObstoreRemote(config)


def _make_store(config: RemoteConfig) -> ObjectStore:
    from obstore.store import LocalStore, S3Store, from_url

    parsed = urlparse(config.url)
    timeout = timedelta(seconds=config.timeout)
    client: ClientConfig = {"timeout": timeout, "connect_timeout": timedelta(seconds=5)}
    retry: RetryConfig = {"max_retries": 2, "retry_timeout": timeout * 2}
    try:
        if parsed.scheme == "file":
            if parsed.netloc not in ("", "localhost"):
                raise RemoteError(
                    f"{config.url}: a file:// URL needs an absolute path (file:///dir)"
                )
            return LocalStore(prefix=parsed.path, mkdir=True)
        if parsed.scheme == "s3":
            s3: S3Config = {}
            if config.endpoint:
                s3["endpoint"] = config.endpoint
                client["allow_http"] = config.endpoint.startswith("http://")
            if config.region:
                s3["region"] = config.region
            return S3Store(
                parsed.netloc,
                prefix=parsed.path.strip("/") or None,
                config=s3,
                client_options=client,
                retry_config=retry,
            )
        if parsed.scheme in ("gs", "gcs", "az", "azure", "abfs", "abfss", "http", "https"):
            return from_url(config.url, client_options=client, retry_config=retry)
    except RemoteError:
        raise
    except Exception as exc:
        raise RemoteError(f"cannot configure the remote {config.url}: {exc}") from None
    raise RemoteError(
        f"unsupported remote URL {config.url}; use s3://, gs://, az:// or file:///absolute/dir"
    )


# Matched against obstore's error text (which includes a debug dump: elapsed times and
# `retry_timeout` appear in every retry error, so bare "403" or "timeout" would misfire).
_CREDENTIAL_MARKERS = (
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "ExpiredToken",
    "InvalidToken",
    "403 Forbidden",
    "401 Unauthorized",
)
_UNREACHABLE_MARKERS = (
    "error sending request",
    "kind: Connect",
    "connection refused",
    "dns error",
    "timed out",
)


def _remote_error(exc: BaseException, url: str, action: str) -> RemoteError:
    from obstore.exceptions import PermissionDeniedError, UnauthenticatedError

    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if isinstance(exc, PermissionDeniedError | UnauthenticatedError) or any(
        marker in text for marker in _CREDENTIAL_MARKERS
    ):
        return RemoteError(
            f"the remote {url} refused the credentials while {action}; set "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the provider's equivalent) to a key "
            "that may read and write this bucket"
        )
    if "NoSuchBucket" in text:
        return RemoteError(
            f"the bucket of {url} does not exist; create it or fix `remote` in mlgate.yaml"
        )
    lowered = text.lower()
    if any(marker.lower() in lowered for marker in _UNREACHABLE_MARKERS):
        return RemoteError(
            f"cannot reach the remote {url} while {action} ({first}); check the network and "
            "`remote.endpoint` in mlgate.yaml, then run the command again: finished transfers "
            "are kept and skipped"
        )
    return RemoteError(f"the remote {url} failed while {action}: {first}")
