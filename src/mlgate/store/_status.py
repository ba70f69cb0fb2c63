"""`mlgate status`: which tracked paths differ from their pointers, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mlgate._errors import MlgateError
from mlgate.store._paths import overlap
from mlgate.store._pointer import Pointer, digest_of
from mlgate.store._tree import TreeEntry, decode_tree
from mlgate.store._workspace import Snapshot, Workspace

State = Literal["ok", "modified", "missing", "untracked", "not-in-cache"]

#: How many changed files of one directory a status lists.
DETAIL_LIMIT = 20


@dataclass(frozen=True)
class PathStatus:
    """The state of one tracked (or declared) path.

    Attributes:
        path: Repository-relative path.
        state: ``ok``; ``modified`` (the workspace differs from the pointer);
            ``missing`` (the pointer exists, the path does not); ``untracked``
            (declared under ``track:`` but never added); ``not-in-cache`` (the workspace
            matches but the object must be fetched with `mlgate pull` before checkout).
        details: For a directory, its changed files as ``modified: a.csv``,
            ``added: b.csv``, ``deleted: c.csv``.
    """

    path: str
    state: State
    details: tuple[str, ...] = ()


def status(
    ws: Workspace, user_paths: Sequence[str] = (), cwd: str | None = None
) -> list[PathStatus]:
    """The state of every tracked path (or of those named), then of declared ones."""
    pointers = ws.selected(user_paths, cwd)
    out = [_status_of(ws, p) for p in pointers]
    if not user_paths:
        tracked = [p.path for p in ws.pointers.all()]
        for declared in ws.track:
            if not any(overlap(declared, t) for t in tracked):
                out.append(PathStatus(declared, "untracked"))
    return out


def _status_of(ws: Workspace, pointer: Pointer) -> PathStatus:
    snap = ws.snapshot(pointer.path)
    if snap.digest is None:
        return PathStatus(pointer.path, "missing")
    if snap.digest == pointer.digest:
        if ws.cache.has(digest_of(pointer)):
            return PathStatus(pointer.path, "ok")
        return PathStatus(pointer.path, "not-in-cache")
    if snap.kind != pointer.kind:
        was = "a directory" if pointer.kind == "tree" else "a file"
        return PathStatus(pointer.path, "modified", (f"was {was}, now is not",))
    details: tuple[str, ...] = ()
    if pointer.kind == "tree":
        if snap.digests is None:  # the fast path vouched for the tree but kept no digests
            snap = ws.snapshot(pointer.path, need_digests=True)
        details = _tree_changes(ws, pointer, snap)
    return PathStatus(pointer.path, "modified", details)


def _tree_changes(ws: Workspace, pointer: Pointer, snap: Snapshot) -> tuple[str, ...]:
    now = snap.entries
    previous = snap.previous
    if previous is not None and previous.tree == pointer.digest:
        # The stat cache described exactly the recorded tree: no manifest to read.
        pairs = zip(previous.stats, previous.digests, strict=True)
        before = [TreeEntry(st[0], d, st[2], st[5]) for st, d in pairs]
    else:
        try:
            data = ws.cache.read_bytes(digest_of(pointer))
            before = decode_tree(data, pointer.digest, check_paths=False)  # only displayed
        except MlgateError:
            return ("(the recorded manifest is not in the cache; `mlgate pull` lists the files)",)
    if [e.path for e in before] == [e.path for e in now]:  # the common case: edits only
        changes = [f"modified: {a.path}" for a, b in zip(before, now, strict=True) if a != b]
    else:
        old = {e.path: e for e in before}
        new = {e.path: e for e in now}
        changes = [f"deleted: {p}" for p in old.keys() - new.keys()]
        changes += [f"added: {p}" for p in new.keys() - old.keys()]
        changes += [f"modified: {p}" for p in old.keys() & new.keys() if old[p] != new[p]]
        changes.sort(key=lambda c: c.split(": ", 1)[1])
    if len(changes) > DETAIL_LIMIT:
        changes = [*changes[:DETAIL_LIMIT], f"... and {len(changes) - DETAIL_LIMIT} more"]
    return tuple(changes)
