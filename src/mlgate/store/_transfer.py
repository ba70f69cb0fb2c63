"""`mlgate push / fetch / pull`: concurrent, resumable transfers with a remote.

One listing (plus the pack indexes not seen before) tells what the remote already has,
and only the rest moves: objects of 1 MiB and more alone, smaller ones in packs (see
:mod:`mlgate.store._packs`). Everything is verified against its digest: a corrupt local
object is not uploaded, and a corrupt download is never published into the cache.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mlgate._errors import CorruptObject, ObjectNotFound, RemoteError
from mlgate._fs import tmp_name, translate_os_errors
from mlgate.store._checkout import CheckoutResult, checkout
from mlgate.store._digest import LARGE_FILE, Digest, hash_bytes, hash_file
from mlgate.store._packs import (
    PACK_OBJECT_LIMIT,
    Located,
    RemoteIndex,
    encode_index,
    object_key,
    pack_key,
    write_packs,
)
from mlgate.store._parallel import map_parallel
from mlgate.store._pointer import Pointer, digest_of
from mlgate.store._progress import NO_PROGRESS, Progress
from mlgate.store._remote import Remote
from mlgate.store._tree import decode_tree
from mlgate.store._workspace import Workspace


@dataclass(frozen=True)
class TransferResult:
    """What a push or fetch moved.

    Attributes:
        transferred: Objects sent or received.
        skipped: Objects already on the other side.
        bytes: Bytes of object content moved.
    """

    transferred: int
    skipped: int
    bytes: int


def _index_dir(ws: Workspace, remote: Remote) -> str:
    """Where this machine keeps the pack indexes it has read from ``remote``."""
    return os.path.join(ws.state_dir, "remotes", hash_bytes(remote.url.encode())[:16])


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
    return push_pointers(ws, remote, ws.selected(user_paths, cwd), jobs=jobs, progress=progress)


def push_pointers(
    ws: Workspace,
    remote: Remote,
    pointers: Sequence[Pointer],
    *,
    jobs: int = 16,
    progress: Progress = NO_PROGRESS,
) -> TransferResult:
    """:func:`push` for explicit pointers (tracked paths, or outputs in the run cache)."""
    sizes = _needed_objects(ws, pointers)
    missing = [d for d in sizes if not ws.cache.has(d)]
    if missing:
        raise ObjectNotFound(
            f"{len(missing)} object(s) of the tracked paths are not in the local cache, so they "
            "cannot be pushed; run `mlgate pull` or `mlgate add` first. Nothing was sent."
        )
    there = RemoteIndex.load(remote, _index_dir(ws, remote)).objects
    todo = [d for d in sizes if d not in there]
    small = [d for d in todo if sizes[d] < PACK_OBJECT_LIMIT]
    large = [d for d in todo if sizes[d] >= PACK_OBJECT_LIMIT]

    def upload(digest: Digest) -> int:
        path = ws.cache.path(digest)
        if hash_file(path, sizes[digest]) != digest:
            raise ws.cache.quarantine(digest)
        remote.put_file(object_key(digest), path)
        return sizes[digest]

    with progress.task("push", len(todo), "objects") as advance:
        moved = sum(map_parallel(upload, large, jobs, advance))
        os.makedirs(ws.cache.tmp_dir, exist_ok=True)
        with translate_os_errors(f"writing packs in {ws.cache.tmp_dir}"):
            for path, index in write_packs(ws.cache, small, ws.cache.tmp_dir):
                remote.put_file(pack_key(index.pack), path)
                remote.put_bytes(f"packs/{index.pack}.idx", encode_index(index))  # after it
                moved += sum(length for _, _, length in index.entries)
                advance(len(index.entries))
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
    return fetch_pointers(ws, remote, ws.selected(user_paths, cwd), jobs=jobs, progress=progress)


def fetch_pointers(
    ws: Workspace,
    remote: Remote,
    pointers: Sequence[Pointer],
    *,
    jobs: int = 16,
    progress: Progress = NO_PROGRESS,
) -> TransferResult:
    """:func:`fetch` for explicit pointers (tracked paths, or outputs in the run cache)."""
    index = RemoteIndex.load(remote, _index_dir(ws, remote)).objects
    tops = {digest_of(p): p.size if p.kind == "file" else 0 for p in pointers}
    first = _download(ws, remote, index, tops, jobs, progress, "fetch manifests")
    needed = _needed_objects(ws, pointers)
    second = _download(ws, remote, index, needed, jobs, progress, "fetch")
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
    index: dict[str, Located],
    sizes: dict[Digest, int],
    jobs: int,
    progress: Progress,
    label: str,
) -> TransferResult:
    todo = [d for d in sizes if not ws.cache.has(d)]
    absent = [d for d in todo if d not in index]
    loose = [d for d in todo if d in index and index[d].pack is None]
    by_pack: dict[str, list[Digest]] = {}
    for d in todo:
        pack = index[d].pack if d in index else None
        if pack is not None:
            by_pack.setdefault(pack, []).append(d)

    def download(digest: Digest) -> int:
        key = object_key(digest)
        if sizes[digest] < LARGE_FILE:
            data = remote.get_bytes(key)
            _adopt_bytes(ws, remote, data, digest)
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

    def unpack(pack: str) -> int:
        wanted = sorted(by_pack[pack], key=lambda d: index[d].offset)
        parts = remote.get_ranges(
            pack_key(pack), [index[d].offset for d in wanted], [index[d].length for d in wanted]
        )
        for digest, data in zip(wanted, parts, strict=True):
            _adopt_bytes(ws, remote, data, digest)
        return sum(len(p) for p in parts)

    with progress.task(label, len(todo) - len(absent), "objects") as advance:
        with translate_os_errors(f"writing to the cache in {ws.cache.root}"):
            moved = sum(map_parallel(download, loose, jobs, advance))
            moved += sum(
                map_parallel(
                    unpack,
                    list(by_pack),
                    max(1, jobs // 4),
                    advance,
                    lambda pack, _n: len(by_pack[pack]),
                )
            )
    if absent:
        ws.cache.sync()
        raise ObjectNotFound(
            f"{len(absent)} object(s) are on neither this machine nor the remote {remote.url} "
            f"(first: {absent[0][:12]}); push them from the machine that added them. "
            f"The {len(todo) - len(absent)} object(s) found were kept."
        )
    return TransferResult(len(todo), len(sizes) - len(todo), moved)


def _adopt_bytes(ws: Workspace, remote: Remote, data: bytes, digest: Digest) -> None:
    try:
        ws.cache.put_bytes(data, digest)
    except CorruptObject:
        raise _corrupt_remote(remote, digest) from None


def _corrupt_remote(remote: Remote, digest: Digest) -> RemoteError:
    return RemoteError(
        f"the remote {remote.url} served object {digest[:12]} with content that does not match "
        "its digest; it was not stored. Re-push it from a machine with a good copy"
    )
