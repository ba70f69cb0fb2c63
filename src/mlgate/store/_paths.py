"""Turning paths a user typed into safe repository-relative paths."""

from __future__ import annotations

import os

from mlgate._errors import PathError

#: Top-level names mlgate owns; nobody tracks data inside them.
RESERVED = (".git", ".mlgate", "mlgate.lock")


def repo_relative(root: str, user_path: str, cwd: str | None = None) -> str:
    """Resolve ``user_path`` (relative to ``cwd``) to a '/'-separated path inside ``root``.

    '..' is allowed only while the result stays inside the repository, and so are
    symlinks on the way.

    Raises:
        PathError: the path escapes the repository, is the root itself, or lies in
            mlgate's or git's own directories.
    """
    if not user_path or "\0" in user_path:
        raise PathError("an empty path (or one with a NUL byte) was given; name a file or folder")
    absolute = os.path.normpath(os.path.join(cwd or os.getcwd(), user_path))
    rel = os.path.relpath(absolute, root)
    if rel == os.curdir:
        raise PathError(
            f"'{user_path}' is the repository root; name the files or directories to track"
        )
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise PathError(
            f"'{user_path}' is outside the repository {root}; mlgate versions only paths "
            "inside it (copy the data in first)"
        )
    real_root = os.path.realpath(root)
    real = os.path.realpath(absolute)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise PathError(
            f"'{user_path}' resolves through a symlink to {real}, outside the repository; "
            "copy the data into the repository instead"
        )
    posix = rel.replace(os.sep, "/")
    top = posix.split("/", 1)[0]
    if top in RESERVED:
        raise PathError(f"'{user_path}' is inside {top}/, which mlgate or git owns")
    return posix


def overlap(a: str, b: str) -> bool:
    """Whether one path is the other or contains it."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")
