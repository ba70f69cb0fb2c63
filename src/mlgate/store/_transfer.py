"""`mlgate push / fetch / pull`: concurrent, resumable transfers with a remote.

One batched listing tells what the remote already has, and only the rest moves.
Everything moving is verified against its digest: a corrupt local object is not
uploaded, and a corrupt download is never published into the cache.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mlgate._errors import CorruptObject, ObjectNotFound, RemoteError
from mlgate._fs import tmp_name, translate_os_errors
from mlgate.store._checkout import CheckoutResult, checkout
from mlgate.store._digest import LARGE_FILE, Digest, hash_file
from mlgate.store._parallel import map_parallel
from mlgate.store._pointer import Pointer, digest_of
from mlgate.store._progress import NO_PROGRESS, Progress
from mlgate.store._remote import Remote
from mlgate.store._tree import decode_tree
from mlgate.store._workspace import Workspace

OBJECTS = "objects/"


def object_key(digest: str) -> str:
    """The remote key of an object: the same fan-out as the local cache."""
    return f"{OBJECTS}{digest[:2]}/{digest[2:]}"


@dataclass(frozen=True)
class TransferResult:
    """What a push or fetch moved.

    Attributes:
        transferred: Objects sent or received.
        skipped: Objects already on the other side.
        bytes: Bytes moved.
    """

    transferred: int
    skipped: int
    bytes: int


def push(
    ws: Workspace,
    remote: Remote,
    user_paths: Sequence[str] = (),
    cwd: str | None = None,
    *,
    jobs: int = 16,
    progress: Progress = NO_PROGRESS,
) -> TransferResult:
    """Upload the objects of the tracked paths that the remote lacks.

    Raises:
        ObjectNotFound: some objects are not in the local cache (nothing was sent).
        CorruptObject: a local object is damaged (it was quarantined).
        RemoteError: the remote is unreachable or refuses the credentials.
    """
    sizes = _needed_objects(ws, ws.selected(user_paths, cwd))
    missing = [d for d in sizes if not ws.cache.has(d)]
    if missing:
        raise ObjectNotFound(
            f"{len(missing)} object(s) of the tracked paths are not in the local cache, so they "
            "cannot be pushed; run `mlgate pull` or `mlgate add` first. Nothing was sent."
        )
    on_remote = remote.list_keys(OBJECTS)
    todo = [d for d in sizes if object_key(d) not in on_remote]

    def upload(digest: Digest) -> int:
        path = ws.cache.path(digest)
        if hash_file(path, sizes[digest]) != digest:
            raise ws.cache.quarantine(digest)
        remote.put_file(object_key(digest), path)
        return sizes[digest]

    with progress.task("push", len(todo), "objects") as advance:
        moved = sum(map_parallel(upload, todo, jobs, advance))
    return TransferResult(len(todo), len(sizes) - len(todo), moved)


def fetch(
    ws: Workspace,
    remote: Remote,
    user_paths: Sequence[str] = (),
    cwd: str | None = None,
    *,
    jobs: int = 16,
    progress: Progress = NO_PROGRESS,
) -> TransferResult:
    """Download into the cache the objects of the tracked paths that it lacks.

    Tree manifests come first, then the files they list. Objects already in the cache
    (from an earlier, interrupted fetch too) are skipped.

    Raises:
        ObjectNotFound: objects are on neither side; the ones found were kept.
        RemoteError: the remote is unreachable, refuses the credentials, or served
            content that does not match its digest.
    """
    pointers = ws.selected(user_paths, cwd)
    tops = {digest_of(p): p.size if p.kind == "file" else 0 for p in pointers}
    first = _download(ws, remote, tops, jobs, progress, "fetch manifests")
    needed = _needed_objects(ws, pointers)
    second = _download(ws, remote, needed, jobs, progress, "fetch")
    ws.cache.sync()
    moved = first.transferred + second.transferred
    return TransferResult(moved, len(needed) - moved, first.bytes + second.bytes)


def pull(
    ws: Workspace,
    remote: Remote,
    user_paths: Sequence[str] = (),
    cwd: str | None = None,
    *,
    jobs: int = 16,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> tuple[TransferResult, list[CheckoutResult]]:
    """fetch, then checkout."""
    fetched = fetch(ws, remote, user_paths, cwd, jobs=jobs, progress=progress)
    return fetched, checkout(ws, user_paths, cwd, force=force, progress=progress)


def _needed_objects(ws: Workspace, pointers: Iterable[Pointer]) -> dict[Digest, int]:
    """Every object the pointers need, with its size; trees must be in the cache."""
    sizes: dict[Digest, int] = {}
    for pointer in pointers:
        digest = digest_of(pointer)
        if pointer.kind == "file":
            sizes[digest] = pointer.size
            continue
        try:
            data = ws.cache.read_bytes(digest)
        except ObjectNotFound:
            continue  # fetch gets the manifest first; push reports it as missing
        sizes[digest] = len(data)
        for entry in decode_tree(data, digest, check_paths=False):
            sizes[Digest(entry.digest)] = entry.size
    return sizes


def _download(
    ws: Workspace,
    remote: Remote,
    sizes: dict[Digest, int],
    jobs: int,
    progress: Progress,
    label: str,
) -> TransferResult:
    todo = [d for d in sizes if not ws.cache.has(d)]
    absent: list[Digest] = []

    def download(digest: Digest) -> int:
        key = object_key(digest)
        try:
            if sizes[digest] < LARGE_FILE:
                data = remote.get_bytes(key)
                try:
                    ws.cache.put_bytes(data, digest)
                except CorruptObject:
                    raise _corrupt_remote(remote, digest) from None
                return len(data)
            os.makedirs(ws.cache.tmp_dir, exist_ok=True)
            tmp = tmp_name(ws.cache.tmp_dir)
            try:
                size = remote.get_file(key, tmp)
                if not ws.cache.adopt(tmp, digest):
                    raise _corrupt_remote(remote, digest)
                return size
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        except ObjectNotFound:
            absent.append(digest)  # list.append is atomic; reported once all are done
            return 0

    with progress.task(label, len(todo), "objects") as advance:
        with translate_os_errors(f"writing to the cache in {ws.cache.root}"):
            moved = sum(map_parallel(download, todo, jobs, advance))
    if absent:
        ws.cache.sync()
        raise ObjectNotFound(
            f"{len(absent)} object(s) are on neither this machine nor the remote {remote.url} "
            f"(first: {absent[0][:12]}); push them from the machine that added them. "
            f"The {len(todo) - len(absent)} object(s) found were kept."
        )
    return TransferResult(len(todo), len(sizes) - len(todo), moved)


def _corrupt_remote(remote: Remote, digest: Digest) -> RemoteError:
    return RemoteError(
        f"the remote {remote.url} served object {digest[:12]} with content that does not match "
        "its digest; it was not stored. Re-push it from a machine with a good copy"
    )
