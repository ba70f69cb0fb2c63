"""Tree objects: the manifest of a directory, stored as an object of its own.

A tree is a canonical JSON document of entries sorted by path: (relative path,
digest, size, mode). Its digest therefore depends only on the directory's content,
never on the order the filesystem listed it in. Manifests can come from a remote
someone else controls, so decoding validates every entry before a path is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from mlgate._errors import CorruptObject
from mlgate.store._digest import Digest, hash_bytes, is_digest

TREE_FORMAT = 1


class TreeEntry(msgspec.Struct, frozen=True, array_like=True):
    """One file of a tree: path relative to the tree root, with '/' separators."""

    path: str
    digest: str
    size: int
    mode: int


class _TreeDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    mlgate_tree: int
    entries: list[TreeEntry]


_HEX = re.compile(r"[0-9a-f]*")
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_TreeDoc)


def encode_tree(entries: Iterable[TreeEntry]) -> bytes:
    """The canonical bytes of a tree (entries sorted by path)."""
    ordered = sorted(entries, key=lambda e: e.path)
    return _encoder.encode(_TreeDoc(mlgate_tree=TREE_FORMAT, entries=ordered))


def tree_digest(entries: Iterable[TreeEntry]) -> Digest:
    return hash_bytes(encode_tree(entries))


def decode_tree(data: bytes, digest: str = "?", *, check_paths: bool = True) -> list[TreeEntry]:
    """Parse and validate a tree manifest.

    Args:
        data: The manifest's bytes.
        digest: Its digest, to name it in errors.
        check_paths: Validate every path too. Only callers that build filesystem paths
            from the entries (checkout) need it; digests are always checked, because
            they become cache paths.

    Raises:
        CorruptObject: the manifest is malformed, or an entry is unsafe: an absolute
            path, a '..' or empty component, a duplicate, a file that is also a
            directory, a malformed digest, or a mode other than 0o644/0o755.
    """
    try:
        doc = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise CorruptObject(f"tree {digest[:12]} is not a valid manifest: {exc}") from None
    if doc.mlgate_tree != TREE_FORMAT:
        raise CorruptObject(
            f"tree {digest[:12]} has format {doc.mlgate_tree}; this mlgate reads format "
            f"{TREE_FORMAT}. Upgrade mlgate"
        )
    if not check_paths:
        digests = "".join(e.digest for e in doc.entries)
        if len(digests) != 64 * len(doc.entries) or not _HEX.fullmatch(digests):
            raise CorruptObject(
                f"tree {digest[:12]} has a malformed digest; refusing to use it. The manifest "
                "was damaged or crafted; fetch it from a trusted remote"
            )
        return doc.entries
    seen: set[str] = set()
    for entry in doc.entries:
        problem = unsafe_entry_reason(entry)
        if problem is None and entry.path in seen:
            problem = "appears twice"
        if problem:
            raise CorruptObject(
                f"tree {digest[:12]} entry '{entry.path}' {problem}; refusing to use it. "
                "The manifest was damaged or crafted; fetch it from a trusted remote"
            )
        seen.add(entry.path)
    for path in seen:
        parts = path.split("/")
        for end in range(1, len(parts)):
            if "/".join(parts[:end]) in seen:
                raise CorruptObject(
                    f"tree {digest[:12]} lists '{'/'.join(parts[:end])}' both as a file and as "
                    "a directory; refusing to use it"
                )
    return doc.entries


def unsafe_entry_reason(entry: TreeEntry) -> str | None:
    """Why ``entry`` must not be trusted, or None."""
    path = entry.path
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return "is empty, absolute or has a backslash or NUL"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "has an empty, '.' or '..' component"
    if not is_digest(entry.digest):
        return "has a malformed digest"
    if entry.size < 0:
        return "has a negative size"
    if entry.mode not in (0o644, 0o755):
        return "has a mode other than 0644 or 0755"
    return None
