"""Pointers: one small JSON file per tracked path, under ``mlgate.lock/paths/``.

``data/raw.csv`` is recorded in ``mlgate.lock/paths/data/raw.csv.json``. One file per
path means two branches that change different paths never touch the same file, so
git merges them without conflict.
"""

from __future__ import annotations

import contextlib
import os
from typing import Literal

import msgspec

from mlgate._errors import PathError
from mlgate._fs import atomic_write, fsync_dir, translate_os_errors
from mlgate.store._digest import Digest, is_digest

POINTER_FORMAT = 1
POINTER_DIR = "paths"
SUFFIX = ".json"


class Pointer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The recorded version of one tracked path.

    Attributes:
        path: Repository-relative path, '/'-separated.
        kind: ``file``, or ``tree`` for a directory.
        digest: The file's content digest, or the tree manifest's digest.
        size: Total bytes of content.
        files: Number of files (1 for a file).
        mode: 0o644 or 0o755 for a file; 0 for a tree (entries carry their own).
    """

    mlgate: int = POINTER_FORMAT
    path: str
    kind: Literal["file", "tree"]
    digest: str
    size: int
    files: int
    mode: int = 0


_decoder = msgspec.json.Decoder(Pointer)


class PointerStore:
    """Reads and writes the pointer files under ``<lock_dir>/paths``."""

    def __init__(self, lock_dir: str) -> None:
        self.base = os.path.join(lock_dir, POINTER_DIR)

    def file_for(self, rel: str) -> str:
        return os.path.join(self.base, *rel.split("/")) + SUFFIX

    def get(self, rel: str) -> Pointer | None:
        """The pointer of ``rel``, or None when the path is not tracked."""
        return self._read(self.file_for(rel), rel)

    def write(self, pointer: Pointer) -> None:
        """Record ``pointer`` atomically and durably."""
        target = self.file_for(pointer.path)
        with translate_os_errors(f"recording {pointer.path}"):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            data = msgspec.json.format(msgspec.json.encode(pointer), indent=2) + b"\n"
            atomic_write(target, data)

    def remove(self, rel: str) -> bool:
        """Stop tracking ``rel``; True if it was tracked."""
        target = self.file_for(rel)
        try:
            os.unlink(target)
        except FileNotFoundError:
            return False
        fsync_dir(os.path.dirname(target))
        with contextlib.suppress(OSError):
            os.removedirs(os.path.dirname(target))
        return True

    def all(self) -> list[Pointer]:
        """Every pointer, sorted by path."""
        found: list[Pointer] = []
        for top, _dirs, files in os.walk(self.base):
            for name in files:
                if not name.endswith(SUFFIX):
                    continue
                full = os.path.join(top, name)
                rel = os.path.relpath(full, self.base)[: -len(SUFFIX)].replace(os.sep, "/")
                pointer = self._read(full, rel)
                if pointer is not None:
                    found.append(pointer)
        found.sort(key=lambda p: p.path)
        return found

    def _read(self, file: str, rel: str) -> Pointer | None:
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return None
        return parse_pointer(data, rel, file)


def parse_pointer(data: bytes, rel: str, origin: str) -> Pointer:
    """Decode and check a pointer that should describe ``rel``.

    Raises:
        PathError: it is malformed or does not match its location; names the file.
    """
    fix = f"restore it with `git checkout -- {origin}` or re-run `mlgate add {rel}`"
    try:
        pointer = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise PathError(f"pointer file {origin} is malformed ({exc}); {fix}") from None
    if pointer.path != rel:
        raise PathError(f"pointer file {origin} names '{pointer.path}', not '{rel}'; {fix}")
    if not is_digest(pointer.digest):
        raise PathError(f"pointer file {origin} has a malformed digest; {fix}")
    return pointer


def digest_of(pointer: Pointer) -> Digest:
    return Digest(pointer.digest)
