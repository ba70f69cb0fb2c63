"""`mlgate checkout`: make the workspace match the pointers, losing nothing.

Checkout plans first and changes nothing until the plan is safe: a workspace file
whose content is not in the cache would be lost by overwriting or deleting it, so
that is refused unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlgate._errors import ObjectNotFound, WorkspaceConflict
from mlgate._fs import translate_os_errors
from mlgate.store._cache import exec_mode
from mlgate.store._digest import Digest
from mlgate.store._lock import repo_lock
from mlgate.store._pointer import Pointer, digest_of
from mlgate.store._progress import NO_PROGRESS, Advance, Progress
from mlgate.store._statcache import FileStat, StatKey, now_ns
from mlgate.store._tree import TreeEntry, decode_tree
from mlgate.store._workspace import Snapshot, Workspace, file_stat


@dataclass(frozen=True)
class CheckoutResult:
    """What checkout did to one tracked path."""

    path: str
    written: int
    removed: int
    unchanged: int


@dataclass
class _Plan:
    pointer: Pointer
    writes: list[tuple[str, Digest, int]] = field(default_factory=list)  # rel, digest, mode
    removes: list[str] = field(default_factory=list)
    clear: str | None = None  # a path of the wrong kind, removed first
    unchanged: int = 0
    found: Snapshot | None = None  # the tree as it was before checkout


def checkout(
    ws: Workspace,
    user_paths: Sequence[str] = (),
    cwd: str | None = None,
    *,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> list[CheckoutResult]:
    """Restore tracked paths from the cache.

    Raises:
        WorkspaceConflict: without ``force``, a change would destroy data that is not
            in the cache; nothing was changed.
        ObjectNotFound: objects are missing from the cache (run `mlgate pull`).
        CorruptObject: a cache object is damaged; it was quarantined.
    """
    return restore(ws, ws.selected(user_paths, cwd), force=force, progress=progress)


def restore(
    ws: Workspace,
    pointers: Sequence[Pointer],
    *,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> list[CheckoutResult]:
    """:func:`checkout` for explicit pointers (tracked paths, or a stage's outputs)."""
    with repo_lock(ws.state_dir, exclusive=False):
        conflicts: list[str] = []
        plans = [_plan(ws, p, force, conflicts) for p in pointers]
        if conflicts:
            shown = "\n  ".join(conflicts[:10])
            more = f"\n  ... and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""
            raise WorkspaceConflict(
                f"checkout would overwrite or delete data that is not in the cache:\n  {shown}"
                f"{more}\nRun `mlgate add` on those paths to keep them, or "
                "`mlgate checkout --force` to discard them. Nothing was changed."
            )
        missing = sum(1 for plan in plans for _, d, _ in plan.writes if not ws.cache.has(d))
        if missing:
            raise ObjectNotFound(
                f"{missing} object(s) needed by checkout are not in the cache; run `mlgate pull` "
                "to fetch them from the remote. Nothing was changed."
            )
        total = sum(len(p.writes) for p in plans)
        with progress.task("checkout", total) as advance, translate_os_errors("checking out"):
            return [_apply(ws, plan, advance) for plan in plans]


def _plan(ws: Workspace, pointer: Pointer, force: bool, conflicts: list[str]) -> _Plan:
    plan = _Plan(pointer)
    if pointer.kind == "tree" and ws.cache.link != "hardlink":
        # Same tree digest: every file, mode included, is already in place.
        if ws.snapshot(pointer.path).digest == pointer.digest:
            plan.unchanged = pointer.files
            return plan
    snap = ws.snapshot(pointer.path, need_digests=True)

    def precious(rel: str, digest: Digest) -> None:
        if not force and not ws.cache.has(digest):
            conflicts.append(rel)

    def in_place(rel: str, digest: Digest, have_mode: int | None, mode: int) -> bool:
        """Whether a file whose content is already right needs no rewrite."""
        if ws.cache.link == "hardlink":  # must be the cache's inode; modes are read-only
            obj = ws.cache.path(digest)
            return os.path.exists(obj) and os.path.samefile(ws.abspath(rel), obj)
        if have_mode is None:
            have_mode = exec_mode(os.stat(ws.abspath(rel)).st_mode)
        return have_mode == mode

    if pointer.kind == "file":
        if snap.kind == "tree":
            if not force:
                conflicts.append(f"{pointer.path} (a directory where a file is recorded)")
            plan.clear = pointer.path
        elif snap.digest == pointer.digest:
            if in_place(pointer.path, digest_of(pointer), None, pointer.mode):
                plan.unchanged = 1
                return plan
        elif snap.digest is not None:
            precious(pointer.path, snap.digest)
        plan.writes.append((pointer.path, digest_of(pointer), pointer.mode))
        return plan

    entries = decode_tree(ws.cache.read_bytes(digest_of(pointer)), pointer.digest)
    plan.found = snap
    if snap.kind == "file":
        if snap.digest is not None:
            precious(pointer.path, snap.digest)
        plan.clear = pointer.path
        current: dict[str, TreeEntry] = {}
    else:
        current = {e.path: e for e in snap.entries}
    for entry in entries:
        rel = f"{pointer.path}/{entry.path}"
        have = current.pop(entry.path, None)
        digest = Digest(entry.digest)
        if have is not None and have.digest == entry.digest:
            if in_place(rel, digest, have.mode, entry.mode):
                plan.unchanged += 1
                continue
        elif have is not None:
            precious(rel, Digest(have.digest))
        plan.writes.append((rel, digest, entry.mode))
    for extra in current.values():
        rel = f"{pointer.path}/{extra.path}"
        precious(rel, Digest(extra.digest))
        plan.removes.append(rel)
    return plan


def _apply(ws: Workspace, plan: _Plan, advance: Advance) -> CheckoutResult:
    if plan.clear is not None:
        target = ws.abspath(plan.clear)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
    for rel in plan.removes:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(ws.abspath(rel))
    if plan.removes and plan.pointer.kind == "tree":
        _prune_empty_dirs(ws.abspath(plan.pointer.path))
    started = now_ns()
    written: list[tuple[str, os.stat_result, Digest]] = []
    for rel, digest, mode in plan.writes:
        dest = ws.abspath(rel)
        if os.path.isdir(dest) and not os.path.islink(dest):
            shutil.rmtree(dest)  # its files were planned as removals, so nothing is lost
        written.append((rel, ws.cache.materialise(digest, dest, mode), digest))
        advance(1)
    if plan.pointer.kind == "file":
        ws.stats.record([(rel, StatKey.of(st), d) for rel, st, d in written], started)
    else:
        _remember_tree(ws, plan, written, started)
    return CheckoutResult(plan.pointer.path, len(plan.writes), len(plan.removes), plan.unchanged)


def _remember_tree(
    ws: Workspace, plan: _Plan, written: list[tuple[str, os.stat_result, Digest]], started: int
) -> None:
    """Record the checked-out tree in the stat cache, so the next status hashes nothing."""
    top = len(plan.pointer.path) + 1
    found = plan.found
    files: dict[str, tuple[FileStat, str]] = {}
    if found is not None and found.digests is not None:
        files = {st[0]: (st, d) for st, d in zip(found.stats, found.digests, strict=True)}
    for rel in plan.removes:
        files.pop(rel[top:], None)
    for rel, st, digest in written:
        files[rel[top:]] = (file_stat(rel[top:], st), digest)
    ordered = [files[name] for name in sorted(files)]
    # In hardlink mode files keep the cache's read-only mode, not the recorded one.
    tree = plan.pointer.digest if ws.cache.link != "hardlink" else ""
    ws.stats.record_tree(
        plan.pointer.path, [st for st, _ in ordered], [d for _, d in ordered], tree, started
    )


def _prune_empty_dirs(top: str) -> None:
    for directory, _dirs, _files in os.walk(top, topdown=False):
        if directory != top:
            with contextlib.suppress(OSError):
                os.rmdir(directory)
