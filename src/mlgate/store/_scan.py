"""Walking a directory to list its regular files with their stat."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from mlgate._errors import PathError


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """A regular file found in the workspace.

    Attributes:
        rel: Path relative to the scanned directory, '/'-separated.
        path: Absolute path.
        st: Its stat (symlinks to files are followed).
    """

    rel: str
    path: str
    st: os.stat_result


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


def scan_dir(top: str, shown: str) -> list[ScannedFile]:
    """All regular files under ``top``, sorted by relative path.

    Symlinks to files are followed. Symlinks to directories are refused because they can
    loop and do not survive a round trip through the store.

    Raises:
        PathError: naming the offending entry.
    """
    found: list[ScannedFile] = []
    pending: list[tuple[str, str]] = [(top, "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            raise PathError(f"cannot list '{shown}/{prefix}': {exc.strerror}") from None
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, rel + "/"))
                continue
            is_link = entry.is_symlink()
            st = stat_path(entry.path, f"{shown}/{rel}") if is_link else entry.stat()
            if stat.S_ISREG(st.st_mode):
                found.append(ScannedFile(rel, entry.path, st))
            elif stat.S_ISDIR(st.st_mode):
                raise PathError(
                    f"'{shown}/{rel}' is a symlink to a directory; mlgate does not follow those "
                    "inside a tracked directory. Replace it with a real directory or remove it"
                )
            else:
                raise PathError(
                    f"'{shown}/{rel}' is not a regular file (a socket, FIFO or device); remove it "
                    "from the tracked directory"
                )
    found.sort(key=lambda f: f.rel)
    return found
