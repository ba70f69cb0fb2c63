"""Packs: many small objects sent to a remote as one file.

An object store answers each request in milliseconds, so pushing 20,000 files of 4 KiB
one request each is bound by the server, not the network. Small objects therefore
travel in packs, as in git: ``packs/<digest>.pack`` holds objects back to back and
``packs/<digest>.idx`` lists (object digest, offset, length). The index is uploaded
after its pack, so an index always describes a complete pack; an interrupted push
leaves at most an unindexed pack, which nothing reads. Objects read from a pack are
verified against their digest like any other.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import blake3
import msgspec

from mlgate._errors import MlgateError
from mlgate._fs import atomic_write, tmp_name
from mlgate.store._cache import LocalCache
from mlgate.store._digest import Digest, hash_bytes, is_digest
from mlgate.store._remote import Remote

PACKS = "packs/"
OBJECTS = "objects/"
#: Objects smaller than this travel in packs; larger ones alone (multipart).
PACK_OBJECT_LIMIT = 1 << 20
#: Size at which a pack is closed and the next one started.
PACK_TARGET = 64 << 20


class PackIndex(msgspec.Struct, frozen=True, array_like=True):
    """The table of contents of one pack: (digest, offset, length) per object."""

    pack: str
    entries: list[tuple[str, int, int]]


_index_decoder = msgspec.msgpack.Decoder(PackIndex)


def object_key(digest: str) -> str:
    """The remote key of a loose object: the same fan-out as the local cache."""
    return f"{OBJECTS}{digest[:2]}/{digest[2:]}"


def pack_key(pack: str) -> str:
    return f"{PACKS}{pack}.pack"


@dataclass(frozen=True)
class Located:
    """Where an object lives on the remote: alone, or inside a pack."""

    pack: str | None
    offset: int = 0
    length: int = 0


@dataclass
class RemoteIndex:
    """Every object a remote has, loose or packed."""

    objects: dict[str, Located]

    @classmethod
    def load(cls, remote: Remote, cache_dir: str) -> RemoteIndex:
        """List the remote once and read the pack indexes this machine has not seen.

        Pack indexes are immutable (named by their pack's digest), so each is fetched
        once and kept in ``cache_dir``.
        """
        objects: dict[str, Located] = {}
        for key in remote.list_keys(OBJECTS):
            digest = key[len(OBJECTS) :].replace("/", "")
            if is_digest(digest):
                objects[digest] = Located(None)
        for key in sorted(remote.list_keys(PACKS)):
            if key.endswith(".idx"):
                index = _read_index(remote, key, cache_dir)
                for digest, offset, length in index.entries:
                    objects.setdefault(digest, Located(index.pack, offset, length))
        return cls(objects)


def _read_index(remote: Remote, key: str, cache_dir: str) -> PackIndex:
    name = key[len(PACKS) :]
    local = os.path.join(cache_dir, name)
    try:
        with open(local, "rb") as fh:
            return _index_decoder.decode(fh.read())
    except (OSError, msgspec.DecodeError):
        pass
    data = remote.get_bytes(key)
    try:
        index = _index_decoder.decode(data)
    except msgspec.DecodeError:
        raise MlgateError(
            f"pack index {key} on the remote {remote.url} is malformed; delete it and its "
            "pack from the remote, then push again from a machine that has the objects"
        ) from None
    if f"{index.pack}.idx" != name or not is_digest(index.pack):
        raise MlgateError(f"pack index {key} on the remote {remote.url} names another pack")
    with contextlib.suppress(MlgateError, OSError):
        os.makedirs(cache_dir, exist_ok=True)
        atomic_write(local, data)
    return index


def write_packs(
    cache: LocalCache, digests: Sequence[Digest], directory: str
) -> Iterator[tuple[str, PackIndex]]:
    """Build packs of ``digests`` (verifying each object) as temporary files.

    Yields:
        (path of the pack file, its index); the caller uploads and deletes the file.
    """
    position = 0
    while position < len(digests):
        path = tmp_name(directory, "pack-")
        hasher = blake3.blake3()
        entries: list[tuple[str, int, int]] = []
        offset = 0
        try:
            with open(path, "wb") as out:
                while position < len(digests) and offset < PACK_TARGET:
                    digest = digests[position]
                    with open(cache.path(digest), "rb") as fh:
                        data = fh.read()
                    if hash_bytes(data) != digest:
                        raise cache.quarantine(digest)
                    out.write(data)
                    hasher.update(data)
                    entries.append((digest, offset, len(data)))
                    offset += len(data)
                    position += 1
            yield path, PackIndex(hasher.hexdigest(), entries)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def encode_index(index: PackIndex) -> bytes:
    return msgspec.msgpack.encode(index)
