"""blake3 content digests: the names of every object in the store."""

from __future__ import annotations

import re
from typing import NewType

import blake3

Digest = NewType("Digest", str)
"""A lowercase hex blake3 digest, 64 characters."""

#: Files at least this large are hashed through mmap on all cores.
LARGE_FILE = 8 << 20

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def is_digest(value: object) -> bool:
    """Whether ``value`` is a well-formed digest (and so safe to put in a path)."""
    return isinstance(value, str) and _HEX64.match(value) is not None


def hash_bytes(data: bytes | memoryview) -> Digest:
    """Digest of an in-memory buffer."""
    return Digest(blake3.blake3(data).hexdigest())


def hash_file(path: str, size: int | None = None) -> Digest:
    """Digest of a file's content.

    Large files are memory-mapped and hashed on every core; small ones are read whole,
    which is cheaper than setting up a mapping.

    Args:
        path: The file.
        size: Its size if already known from a stat, to skip one syscall.
    """
    if size is None:
        import os

        size = os.stat(path).st_size
    if size >= LARGE_FILE:
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(path)
        return Digest(hasher.hexdigest())
    with open(path, "rb") as fh:
        return hash_bytes(fh.read())
