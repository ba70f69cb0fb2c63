"""`mlgate gc`: delete cache objects that nothing references any more."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from mlgate._errors import MlgateError, ObjectNotFound, PathError
from mlgate._fs import translate_os_errors
from mlgate._git import run_git
from mlgate.config import LOCK_DIR
from mlgate.store._digest import Digest
from mlgate.store._lock import repo_lock
from mlgate.store._pointer import POINTER_DIR, SUFFIX, Pointer, digest_of, parse_pointer
from mlgate.store._tree import decode_tree
from mlgate.store._workspace import Workspace


@dataclass(frozen=True)
class GcResult:
    """What gc did (or, with ``dry_run``, would do).

    Attributes:
        removed: Objects deleted.
        freed: Bytes freed.
        kept: Objects kept because a pointer references them.
        unreadable: Historical pointers that could not be parsed (their objects are not
            protected; fix or ignore them).
    """

    removed: int
    freed: int
    kept: int
    unreadable: int


def gc(
    ws: Workspace,
    *,
    all_commits: bool = False,
    dry_run: bool = False,
    also_keep: Sequence[Pointer] = (),
) -> GcResult:
    """Remove every object not referenced by the workspace's pointers (or ``keep``).

    Args:
        all_commits: Also keep everything referenced by a pointer in any git commit.
        dry_run: Only count.
        also_keep: More references to keep: the pipeline's outputs and run cache.

    Raises:
        PathError: ``all_commits`` was asked for outside a git repository.
        LockTimeout: another mlgate process kept the repository busy.
    """
    with repo_lock(ws.state_dir, exclusive=True):
        pointers = [*ws.pointers.all(), *also_keep]
        unreadable = 0
        if all_commits:
            historical, unreadable = pointers_in_history(ws.root)
            pointers.extend(historical)
        keep = _referenced(ws, pointers)
        removed = freed = 0
        with translate_os_errors(f"collecting garbage in {ws.cache.root}"):
            for digest in list(ws.cache.iter_digests()):
                if digest in keep:
                    continue
                removed += 1
                if dry_run:
                    freed += os.stat(ws.cache.path(digest)).st_size
                else:
                    freed += ws.cache.remove(digest)
            if not dry_run:
                ws.cache.clean_tmp()
                shutil.rmtree(ws.cache.corrupt_dir, ignore_errors=True)
        return GcResult(removed, freed, len(keep), unreadable)


def _referenced(ws: Workspace, pointers: list[Pointer]) -> set[Digest]:
    keep: set[Digest] = set()
    for pointer in pointers:
        digest = digest_of(pointer)
        keep.add(digest)
        if pointer.kind == "tree":
            try:
                entries = decode_tree(
                    ws.cache.read_bytes(digest), pointer.digest, check_paths=False
                )
            except ObjectNotFound:
                continue  # the manifest is not here, so neither are objects we could tell apart
            keep.update(Digest(e.digest) for e in entries)
    return keep


def blobs_in_history(root: str, prefix: str) -> dict[str, bytes]:
    """The content of every distinct file under ``prefix`` in any git commit, by path."""
    listing = _git(root, "rev-list", "--all", "--objects", "--", prefix).decode()
    paths: dict[str, str] = {}
    for line in listing.splitlines():
        sha, _, path = line.partition(" ")
        if path.startswith(prefix) and path.endswith(SUFFIX):
            paths[sha] = path
    if not paths:
        return {}
    batch = _git(root, "cat-file", "--batch", stdin=("\n".join(paths) + "\n").encode())
    found: dict[str, bytes] = {}
    offset = 0
    while offset < len(batch):
        end = batch.index(b"\n", offset)
        sha, kind, size = batch[offset:end].decode().split()
        if kind == "blob":
            found[f"{paths[sha]}@{sha[:12]}"] = batch[end + 1 : end + 1 + int(size)]
        offset = end + 2 + int(size)
    return found


def pointers_in_history(root: str) -> tuple[list[Pointer], int]:
    """Every distinct pointer stored in any commit of the git repository at ``root``.

    Returns:
        The pointers, and how many historical pointer files could not be parsed.
    """
    prefix = f"{LOCK_DIR}/{POINTER_DIR}/"
    pointers: list[Pointer] = []
    unreadable = 0
    for where, data in blobs_in_history(root, prefix).items():
        rel = where.rsplit("@", 1)[0][len(prefix) : -len(SUFFIX)]
        try:
            pointers.append(parse_pointer(data, rel, f"git object {where}"))
        except MlgateError:
            unreadable += 1
    return pointers, unreadable


def _git(root: str, *args: str, stdin: bytes | None = None) -> bytes:
    done = run_git(root, *args, stdin=stdin)
    if done is None:
        raise PathError("`gc --all-commits` needs git on PATH; install git")
    if done.returncode != 0:
        raise PathError(
            f"`gc --all-commits` needs a git repository with at least one commit at {root} "
            f"(git said: {done.stderr.decode(errors='replace').strip()})"
        )
    return done.stdout
