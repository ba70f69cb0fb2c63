"""Model artifacts by digest: from the local cache, or fetched from the remote."""

from __future__ import annotations

import os

from mlgate._errors import ModelError
from mlgate.config import RemoteConfig
from mlgate.store import Workspace


def materialise_artifact(
    ws: Workspace, remote: RemoteConfig | None, digest: str, directory: str, what: str
) -> str:
    """A fresh copy of the object ``digest`` (a model file) in ``directory``, fetched
    from ``remote`` first when this machine lacks it; returns its path.

    Raises:
        ModelError: the object is on neither side.
        RemoteError: the remote is unreachable.
    """
    from mlgate._errors import ObjectNotFound
    from mlgate.store import Digest, Pointer, fetch_pointers, open_remote

    d = Digest(digest)
    if not ws.cache.has(d):
        if remote is None:
            raise ModelError(
                f"the artifact of {what} ({digest[:12]}) is not in the local cache and no "
                "remote is configured; run `mlgate pull` on a machine that has it"
            )
        pointer = Pointer(path="artifact", kind="file", digest=digest, size=0, files=1)
        try:
            fetch_pointers(ws, open_remote(remote), [pointer])
        except ObjectNotFound:
            raise ModelError(
                f"the artifact of {what} ({digest[:12]}) is neither here nor on the remote "
                f"{remote.url}; `mlgate push` it from the machine that registered it"
            ) from None
    dest = os.path.join(directory, digest[:16])
    if not os.path.exists(dest):
        ws.cache.materialise(d, dest, 0o644)
    return dest
