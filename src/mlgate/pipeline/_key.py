"""The stage cache key: what a stage's result depends on, hashed.

Two runs of a stage with the same key produce the same outputs, so a key seen before
(here, or in the remote's run cache) means its outputs can be restored instead of
recomputed. The key covers exactly: a format version, the command, each dependency's
digest, the selected parameter values, the listed environment values, and the names of
the outputs. Nothing else (not the stage name, nor the order of any list) changes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import blake3
import msgspec

#: Bumped when what the key covers changes, so old run-cache entries stop matching.
KEY_FORMAT = 1


def stage_key(
    *,
    cmd: str,
    deps: Mapping[str, str],
    params: Mapping[str, object],
    env: Mapping[str, str | None],
    outs: Sequence[str],
) -> str:
    """The blake3 key of one execution of a stage.

    Args:
        cmd: The command line.
        deps: Dependency path -> content digest.
        params: Selected parameter ("file:key") -> value.
        env: Listed variable -> value (None when unset, which differs from "").
        outs: Output paths.
    """
    doc = {
        "format": KEY_FORMAT,
        "cmd": cmd,
        "deps": dict(deps),
        "params": dict(params),
        "env": dict(env),
        "outs": sorted(outs),
    }
    return blake3.blake3(msgspec.json.encode(doc, order="sorted")).hexdigest()
