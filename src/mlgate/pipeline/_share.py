"""Sharing the run cache through the remote (`push/pull --run-cache`).

An entry goes up after its output objects, so an entry on the remote always has them;
a new CI runner that pulls the run cache restores unchanged stages instead of
recomputing them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import msgspec

from mlgate.pipeline._records import CacheEntry, read_cache, write_cache
from mlgate.store import (
    Digest,
    Progress,
    Remote,
    TransferResult,
    Workspace,
    fetch_pointers,
    push_pointers,
)
from mlgate.store._progress import NO_PROGRESS

RUNCACHE = "runcache/"


@dataclass(frozen=True)
class RunCacheTransfer:
    """Entries moved, and the objects their outputs needed."""

    entries: int
    objects: TransferResult


def local_entries(ws: Workspace) -> list[CacheEntry]:
    """Every readable run-cache entry on this machine."""
    base = os.path.join(ws.state_dir, "runcache")
    found: list[CacheEntry] = []
    for _top, _dirs, files in os.walk(base):
        for name in files:
            if name.endswith(".json"):
                entry = read_cache(ws.state_dir, name[: -len(".json")])
                if entry is not None:
                    found.append(entry)
    return found


def push_run_cache(
    ws: Workspace, remote: Remote, *, jobs: int = 16, progress: Progress = NO_PROGRESS
) -> RunCacheTransfer:
    """Upload the entries the remote lacks, after the objects of their outputs."""
    there = {k[len(RUNCACHE) :].removesuffix(".json") for k in remote.list_keys(RUNCACHE)}
    complete = [e for e in local_entries(ws) if all(ws.cache.has(Digest(o.digest)) for o in e.outs)]
    todo = [e for e in complete if e.key not in there]
    objects = push_pointers(
        ws, remote, [o for e in todo for o in e.outs], jobs=jobs, progress=progress
    )
    for entry in todo:
        remote.put_bytes(f"{RUNCACHE}{entry.key}.json", msgspec.json.encode(entry))
    return RunCacheTransfer(len(todo), objects)


def pull_run_cache(
    ws: Workspace, remote: Remote, *, jobs: int = 16, progress: Progress = NO_PROGRESS
) -> RunCacheTransfer:
    """Download the entries this machine lacks, then the objects of their outputs."""
    decoder = msgspec.json.Decoder(CacheEntry)
    received: list[CacheEntry] = []
    for key in sorted(remote.list_keys(RUNCACHE)):
        name = key[len(RUNCACHE) :].removesuffix(".json")
        if read_cache(ws.state_dir, name) is not None:
            continue
        try:
            entry = decoder.decode(remote.get_bytes(key))
        except msgspec.DecodeError:
            continue  # a damaged entry is only a missed shortcut: the stage runs
        if entry.key == name:
            received.append(entry)
    objects = fetch_pointers(
        ws, remote, [o for e in received for o in e.outs], jobs=jobs, progress=progress
    )
    for entry in received:
        write_cache(ws.state_dir, entry)
    return RunCacheTransfer(len(received), objects)
