"""Walking a directory to list its regular files with their stat."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from typing import Any, TypeVar, overload

from mlgate._errors import PathError

ScannedFile = tuple[str, os.stat_result]
"""A regular file found in the workspace: (path relative to the scanned directory with
'/' separators, its stat). A plain tuple: status scans create 20,000 of them."""

T = TypeVar("T", bound=tuple[object, ...])


def _pair(rel: str, st: os.stat_result) -> ScannedFile:
    return (rel, st)


def stat_path(path: str, shown: str) -> os.stat_result:
    """stat() with errors a user understands.

    Raises:
        PathError: missing, a symlink loop or dangling, or unreadable.
    """
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise PathError(f"'{shown}' is a symlink to a missing file; fix or remove it") from None
        raise PathError(
            f"'{shown}' does not exist; check the spelling, or create it before adding it"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathError(
                f"'{shown}' is a symlink loop; point the link at a real file or remove it"
            ) from None
        raise PathError(f"cannot read '{shown}': {exc.strerror}") from None


@overload
def scan_dir(top: str, shown: str) -> list[ScannedFile]: ...


@overload
def scan_dir(top: str, shown: str, make: Callable[[str, os.stat_result], T]) -> list[T]: ...


def scan_dir(top: str, shown: str, make: Callable[[str, os.stat_result], Any] = _pair) -> list[Any]:
    """All regular files under ``top``, sorted by relative path.

    Symlinks to files are followed. Symlinks to directories are refused because they can
    loop and do not survive a round trip through the store.

    Args:
        top: The directory to walk.
        shown: How to name it in error messages.
        make: Builds the record of each file from its '/'-separated relative path and
            its stat; the record must be a tuple starting with that path. Building the
            caller's record here saves an intermediate tuple per file on hot paths.

    Raises:
        PathError: naming the offending entry.
    """
    found: list[Any] = []
    pending: list[tuple[str, str]] = [(top, "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            raise PathError(f"cannot list '{shown}/{prefix}': {exc.strerror}") from None
        for entry in entries:  # hot: keep the common case (a regular file) short
            if entry.is_file(follow_symlinks=False):
                found.append(make(prefix + entry.name, entry.stat()))
            elif entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, f"{prefix}{entry.name}/"))
            else:
                rel = prefix + entry.name
                found.append(make(rel, _special(entry, rel, shown)))
    found.sort()  # paths are unique, so tuples order by path alone
    return found


def _special(entry: os.DirEntry[str], rel: str, shown: str) -> os.stat_result:
    """A symlink (followed if it leads to a file) or a special file (refused)."""
    st = stat_path(entry.path, f"{shown}/{rel}") if entry.is_symlink() else entry.stat()
    if stat.S_ISREG(st.st_mode):
        return st
    if stat.S_ISDIR(st.st_mode):
        raise PathError(
            f"'{shown}/{rel}' is a symlink to a directory; mlgate does not follow those "
            "inside a tracked directory. Replace it with a real directory or remove it"
        )
    raise PathError(
        f"'{shown}/{rel}' is not a regular file (a socket, FIFO or device); remove it "
        "from the tracked directory"
    )
