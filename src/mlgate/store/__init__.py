"""The content-addressed store: objects, trees, pointers, the workspace and remotes.

The store knows bytes and digests only. :class:`LocalCache` offers ``put_*``, ``has``
and ``materialise`` (get); :class:`Workspace` versions paths of a repository on top
of it; :func:`push`/:func:`fetch`/:func:`pull` move objects to and from a
:class:`Remote`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlgate.store._cache import LinkType, LocalCache
    from mlgate.store._checkout import CheckoutResult, checkout, restore
    from mlgate.store._digest import Digest, hash_bytes, hash_file, is_digest
    from mlgate.store._gc import GcResult, gc
    from mlgate.store._packs import object_key
    from mlgate.store._pointer import Pointer, PointerStore
    from mlgate.store._progress import NO_PROGRESS, Progress
    from mlgate.store._remote import ObstoreRemote, Remote, open_remote
    from mlgate.store._status import PathStatus, status
    from mlgate.store._transfer import (
        TransferResult,
        fetch,
        fetch_pointers,
        pull,
        push,
        push_pointers,
    )
    from mlgate.store._tree import TreeEntry, decode_tree, encode_tree, tree_digest
    from mlgate.store._workspace import AddResult, Workspace

# Each name is imported from its module on first use (PEP 562), so that `mlgate status`
# does not pay for the transfer, remote and gc machinery it never touches.
_WHERE = {
    "LinkType": "_cache",
    "LocalCache": "_cache",
    "CheckoutResult": "_checkout",
    "checkout": "_checkout",
    "restore": "_checkout",
    "Digest": "_digest",
    "hash_bytes": "_digest",
    "hash_file": "_digest",
    "is_digest": "_digest",
    "GcResult": "_gc",
    "gc": "_gc",
    "Pointer": "_pointer",
    "PointerStore": "_pointer",
    "NO_PROGRESS": "_progress",
    "Progress": "_progress",
    "ObstoreRemote": "_remote",
    "Remote": "_remote",
    "open_remote": "_remote",
    "PathStatus": "_status",
    "status": "_status",
    "TransferResult": "_transfer",
    "fetch": "_transfer",
    "object_key": "_transfer",
    "pull": "_transfer",
    "fetch_pointers": "_transfer",
    "push_pointers": "_transfer",
    "push": "_transfer",
    "TreeEntry": "_tree",
    "decode_tree": "_tree",
    "encode_tree": "_tree",
    "tree_digest": "_tree",
    "AddResult": "_workspace",
    "Workspace": "_workspace",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mlgate.store' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"mlgate.store.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "NO_PROGRESS",
    "AddResult",
    "CheckoutResult",
    "Digest",
    "GcResult",
    "LinkType",
    "LocalCache",
    "ObstoreRemote",
    "PathStatus",
    "Pointer",
    "PointerStore",
    "Progress",
    "Remote",
    "TransferResult",
    "TreeEntry",
    "Workspace",
    "checkout",
    "decode_tree",
    "encode_tree",
    "fetch",
    "fetch_pointers",
    "gc",
    "hash_bytes",
    "hash_file",
    "is_digest",
    "object_key",
    "open_remote",
    "pull",
    "push",
    "push_pointers",
    "restore",
    "status",
    "tree_digest",
]
