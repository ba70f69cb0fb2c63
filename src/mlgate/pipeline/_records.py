"""Lock records (what each stage last produced, committed in git) and the run cache.

``mlgate.lock/stages/<stage>.json`` holds one stage's key, inputs and output digests,
so two branches that change different stages merge without conflict. The run cache,
``.mlgate/runcache/<key>.json``, maps every key ever computed to its outputs, so a key
seen before is restored instead of recomputed. Both are written atomically, after the
stage succeeded and its outputs are durable in the store.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from mlgate._errors import PipelineError
from mlgate._fs import atomic_write, translate_os_errors
from mlgate.store import Pointer

LOCK_FORMAT = 1


class StageLock(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The last successful execution of a stage."""

    mlgate: int = LOCK_FORMAT
    stage: str
    key: str
    cmd: str
    deps: dict[str, str]
    params: dict[str, Any]
    env: dict[str, str | None]
    outs: list[Pointer]


class CacheEntry(msgspec.Struct, frozen=True, kw_only=True):
    """What an execution with this key produced, and the registry run that produced it
    (a restore re-uses that run's result, so lineage points there)."""

    key: str
    outs: list[Pointer]
    run_id: int | None = None


_lock_decoder = msgspec.json.Decoder(StageLock)
_entry_decoder = msgspec.json.Decoder(CacheEntry)


def lock_path(lock_dir: str, stage: str) -> str:
    return os.path.join(lock_dir, "stages", f"{stage}.json")


def read_lock(lock_dir: str, stage: str) -> StageLock | None:
    """The lock record of ``stage``, or None before its first run."""
    path = lock_path(lock_dir, stage)
    try:
        with open(path, "rb") as fh:
            return _lock_decoder.decode(fh.read())
    except FileNotFoundError:
        return None
    except msgspec.DecodeError as exc:
        raise PipelineError(
            f"lock record {path} is malformed ({exc}); restore it with `git checkout -- {path}` "
            f"or delete it to run stage '{stage}' again"
        ) from None


def write_lock(lock_dir: str, record: StageLock) -> None:
    path = lock_path(lock_dir, record.stage)
    with translate_os_errors(f"recording stage {record.stage}"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, msgspec.json.format(msgspec.json.encode(record), indent=2) + b"\n")


def cache_path(state_dir: str, key: str) -> str:
    return os.path.join(state_dir, "runcache", key[:2], f"{key}.json")


def read_cache(state_dir: str, key: str) -> CacheEntry | None:
    """The run-cache entry of ``key``; a damaged entry counts as absent."""
    try:
        with open(cache_path(state_dir, key), "rb") as fh:
            entry = _entry_decoder.decode(fh.read())
    except (OSError, msgspec.DecodeError):
        return None
    return entry if entry.key == key else None


def write_cache(state_dir: str, entry: CacheEntry) -> None:
    path = cache_path(state_dir, entry.key)
    with translate_os_errors("writing the run cache"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, msgspec.json.encode(entry))


def referenced_outputs(
    root: str, lock_dir: str, state_dir: str, *, all_commits: bool = False
) -> list[Pointer]:
    """Every stage output that gc must keep: of the current lock records, of the run
    cache, and (``all_commits``) of the lock records in any git commit."""
    found: list[Pointer] = []
    stages = os.path.join(lock_dir, "stages")
    for name in sorted(os.listdir(stages)) if os.path.isdir(stages) else []:
        if name.endswith(".json"):
            record = read_lock(lock_dir, name[: -len(".json")])
            if record is not None:
                found.extend(record.outs)
    for _top, _dirs, files in os.walk(os.path.join(state_dir, "runcache")):
        for name in files:
            entry = read_cache(state_dir, name.removesuffix(".json"))
            if entry is not None:
                found.extend(entry.outs)
    if all_commits:
        from mlgate.store._gc import blobs_in_history

        for data in blobs_in_history(root, f"{os.path.basename(lock_dir)}/stages/").values():
            try:
                found.extend(_lock_decoder.decode(data).outs)
            except msgspec.DecodeError:
                continue  # an unreadable old record protects nothing; gc reports pointers only
    return found
