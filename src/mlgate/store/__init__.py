"""The content-addressed store: objects, trees, pointers, the workspace and remotes.

The store knows bytes and digests only. :class:`LocalCache` offers ``put_*``, ``has``
and ``materialise`` (get); :class:`Workspace` versions paths of a repository on top
of it; :func:`push`/:func:`fetch`/:func:`pull` move objects to and from a
:class:`Remote`.
"""

from __future__ import annotations

from mlgate.store._cache import LinkType, LocalCache
from mlgate.store._checkout import CheckoutResult, checkout
from mlgate.store._digest import Digest, hash_bytes, hash_file, is_digest
from mlgate.store._gc import GcResult, gc
from mlgate.store._pointer import Pointer, PointerStore
from mlgate.store._progress import NO_PROGRESS, Progress
from mlgate.store._remote import ObstoreRemote, Remote, open_remote
from mlgate.store._status import PathStatus, status
from mlgate.store._transfer import TransferResult, fetch, object_key, pull, push
from mlgate.store._tree import TreeEntry, decode_tree, encode_tree, tree_digest
from mlgate.store._workspace import AddResult, Workspace

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
    "gc",
    "hash_bytes",
    "hash_file",
    "is_digest",
    "object_key",
    "open_remote",
    "pull",
    "push",
    "status",
    "tree_digest",
]
