"""Durable filesystem primitives shared by every package that writes files.

The rule they implement: write to a temporary name in the target's directory, make it
durable (fsync), rename it into place, then fsync the directory so the rename itself
survives a crash. A reader therefore sees either the old file or the new one, never a
torn one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator

from mlgate._errors import StoreError

TMP_MARK = ".mlgate-tmp-"


def tmp_name(directory: str, stem: str = "") -> str:
    """Return an unused temporary path inside ``directory``."""
    return os.path.join(directory, f"{TMP_MARK}{stem}{os.urandom(6).hex()}")


def fsync_dir(directory: str) -> None:
    """Make the entries of ``directory`` (creations, renames) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(path: str) -> None:
    """Flush every dirty page of the filesystem holding ``path`` in one call.

    Writing thousands of small objects and calling this once is far cheaper than one
    fsync each, and gives the same guarantee before a pointer names them. Falls back to
    ``os.sync`` where syncfs(2) is not available.
    """
    import ctypes
    import ctypes.util

    libc_name = ctypes.util.find_library("c")
    fn = getattr(ctypes.CDLL(libc_name, use_errno=True), "syncfs", None) if libc_name else None
    if fn is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        if fn(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), path)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Raises:
        StoreError: the directory is read-only or the disk is full; ``path`` is unchanged.
    """
    directory = os.path.dirname(path) or "."
    tmp = tmp_name(directory)
    with translate_os_errors(f"writing {path}"):
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(directory)


@contextlib.contextmanager
def translate_os_errors(what: str) -> Iterator[None]:
    """Turn the OS errors a user can fix into a :class:`StoreError` that names the fix."""
    try:
        yield
    except OSError as exc:
        raise os_error(exc, what) from exc


def os_error(exc: OSError, what: str) -> StoreError:
    """Describe ``exc``, raised while ``what``, with the fix for its cause."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreError(
            f"the disk is full while {what}{where}; free some space (or run `mlgate gc`) and "
            "run the command again. Nothing was recorded, so the previous state is intact."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(
            f"permission denied while {what}{where}; make the directory writable "
            "(check `ls -ld` and `lsattr -d`) or point `cache.dir` in mlgate.yaml elsewhere."
        )
    return StoreError(f"{exc.strerror or exc} while {what}{where}")
