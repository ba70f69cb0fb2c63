"""The local content-addressed cache: ``objects/ab/cdef...`` named by blake3 digest.

Objects are immutable and read-only. Each is written under ``tmp/``, renamed into
place, and made durable before anything names it: large objects by their own fsync,
small ones by one :func:`~mlgate._fs.syncfs` per batch (:meth:`LocalCache.sync`).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
from collections.abc import Iterator
from typing import Literal

from mlgate._errors import CorruptObject, ObjectNotFound, PathError
from mlgate._fs import TMP_MARK, os_error, syncfs, tmp_name
from mlgate.store._digest import LARGE_FILE, Digest, hash_bytes, hash_file, is_digest

LinkType = Literal["auto", "copy", "hardlink"]

_FICLONE = 0x40049409  # ioctl number of FICLONE on Linux


def try_reflink(src: str, dst: str) -> bool:
    """Create ``dst`` as a copy-on-write clone of ``src``; False where unsupported."""
    import fcntl

    src_fd = os.open(src, os.O_RDONLY)
    try:
        dst_fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.ioctl(dst_fd, _FICLONE, src_fd)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY):
                raise
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)
    os.unlink(dst)
    return False


def exec_mode(st_mode: int) -> int:
    """The mode recorded for a file: only whether it is executable, as git does."""
    return 0o755 if st_mode & 0o111 else 0o644


class LocalCache:
    """Objects on the local disk.

    Contract: ``put_*`` return the digest of what was stored and never leave a partial
    object under ``objects/``; ``materialise`` verifies the digest of what it wrote and
    quarantines a corrupt object (so a later fetch replaces it); ``has`` is one stat.
    One instance is used by one thread; several processes may share the directory.
    """

    def __init__(self, root: str, link: LinkType = "auto") -> None:
        self.root = root
        self.link: LinkType = link
        self.objects_dir = os.path.join(root, "objects")
        self.tmp_dir = os.path.join(root, "tmp")
        self.corrupt_dir = os.path.join(root, "corrupt")
        self._made_dirs: set[str] = set()
        self._unsynced = False
        # Temporary names: unique per process and instance, then a counter (itertools.count
        # is atomic under the GIL), so small objects need no random syscall each.
        self._tmp_prefix = os.path.join(
            self.tmp_dir, f"{TMP_MARK}{os.getpid()}-{os.urandom(4).hex()}-"
        )
        self._tmp_seq = itertools.count()

    # -- naming ---------------------------------------------------------------------
    def path(self, digest: Digest) -> str:
        """Where the object ``digest`` lives (whether or not it exists)."""
        if not is_digest(digest):
            raise CorruptObject(
                f"'{digest}' is not a blake3 digest; the record naming it is damaged"
            )
        return f"{self.objects_dir}/{digest[:2]}/{digest[2:]}"

    def _own_path(self, digest: Digest) -> str:
        """:meth:`path` for a digest this process just computed (no validation needed)."""
        return f"{self.objects_dir}/{digest[:2]}/{digest[2:]}"

    def has(self, digest: Digest) -> bool:
        return os.path.exists(self.path(digest))

    def iter_digests(self) -> Iterator[Digest]:
        """Every object in the cache, in no particular order."""
        try:
            fanouts = os.scandir(self.objects_dir)
        except FileNotFoundError:
            return
        with fanouts:
            for fan in fanouts:
                if len(fan.name) != 2 or not fan.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(fan.path) as entries:
                    for entry in entries:
                        digest = fan.name + entry.name
                        if is_digest(digest):
                            yield Digest(digest)

    # -- writing --------------------------------------------------------------------
    def _ensure_dirs(self, digest: Digest) -> None:
        fan = digest[:2]
        if fan not in self._made_dirs:
            os.makedirs(f"{self.objects_dir}/{fan}", exist_ok=True)
            os.makedirs(self.tmp_dir, exist_ok=True)
            self._made_dirs.add(fan)

    def _publish(self, tmp: str, digest: Digest, *, chmod: bool = True) -> None:
        self._ensure_dirs(digest)
        if chmod:
            os.chmod(tmp, 0o444)
        os.replace(tmp, self._own_path(digest))

    def put_bytes(self, data: bytes, digest: Digest | None = None) -> tuple[Digest, bool]:
        """Store ``data``; returns its digest and whether a new object was written.

        Raises:
            CorruptObject: ``digest`` was given and does not match ``data``.
        """
        actual = hash_bytes(data)
        if digest is not None and actual != digest:
            raise CorruptObject(f"received content for object {digest} hashes to {actual}")
        if os.path.exists(self._own_path(actual)):
            return actual, False
        self._ensure_dirs(actual)
        # Every temporary is created in tmp/: ext4 allocates a new inode near its parent
        # directory, so one parent keeps the inodes together, where 256 fan-out parents
        # would spread them over as many cold block groups.
        tmp = f"{self._tmp_prefix}{next(self._tmp_seq)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            self._publish(tmp, actual, chmod=False)  # created read-only
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._unsynced = True
        return actual, True

    def put_file(self, src: str, st: os.stat_result) -> tuple[Digest, bool]:
        """Store the regular file ``src`` whose stat is ``st``.

        Returns:
            Its digest, and whether a new object was written.

        Raises:
            PathError: ``src`` changed while it was being stored.
        """
        if st.st_size < LARGE_FILE:
            return self.put_bytes(_read_small(src, st))
        digest = hash_file(src, st.st_size)
        dst = self.path(digest)
        if os.path.exists(dst):
            self._unshare(src, dst, st)
            return digest, False
        self._ensure_dirs(digest)
        tmp = tmp_name(self.tmp_dir)
        try:
            self._store_large(src, st, tmp, digest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return digest, True

    def _store_large(self, src: str, st: os.stat_result, tmp: str, digest: Digest) -> None:
        # Copying 1 GiB and fsyncing the copy costs seconds; the user's file is usually
        # already on disk. So: reflink if possible; else fsync the original (cheap when
        # it is clean), hard-link that inode into the cache, and swap a fresh copy into
        # the workspace. The workspace path always holds the right content.
        if self.link != "hardlink" and try_reflink(src, tmp):
            _fsync_path(tmp)
            _check_unchanged(src, st)
            self._publish(tmp, digest)
            return
        if os.stat(self.tmp_dir).st_dev == st.st_dev:
            _fsync_path(src)
            os.link(src, tmp)
            _check_unchanged(src, st)
            self._publish(tmp, digest)
            self._unshare(src, self.path(digest), st)
            return
        _copy(src, tmp)
        _fsync_path(tmp)
        if hash_file(tmp, st.st_size) != digest:
            raise PathError(f"{src} changed while it was being added; run `mlgate add` again")
        self._publish(tmp, digest)

    def _unshare(self, src: str, obj: str, st: os.stat_result) -> None:
        """Give the workspace file its own inode again unless hard links are wanted."""
        if self.link == "hardlink" or os.stat(obj).st_ino != st.st_ino:
            return
        tmp = tmp_name(os.path.dirname(src) or ".", ".")
        try:
            _copy(obj, tmp)
            os.chmod(tmp, st.st_mode & 0o7777)
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
            os.replace(tmp, src)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def adopt(self, tmp: str, digest: Digest) -> bool:
        """Publish the file ``tmp`` as object ``digest`` if its content matches.

        Returns:
            False (and leaves ``tmp`` alone) when the content does not match.
        """
        if hash_file(tmp) != digest:
            return False
        self._publish(tmp, digest)
        self._unsynced = True
        return True

    def sync(self) -> None:
        """Make every object written so far durable (one syncfs for the batch)."""
        if self._unsynced:
            syncfs(self.objects_dir)
            self._unsynced = False

    # -- reading --------------------------------------------------------------------
    def read_bytes(self, digest: Digest) -> bytes:
        """The verified content of a (small) object, such as a tree manifest.

        Raises:
            ObjectNotFound: it is not in the cache.
            CorruptObject: its content does not match; it was moved to ``corrupt/``.
        """
        try:
            with open(self.path(digest), "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise self.not_found(digest) from None
        if hash_bytes(data) != digest:
            raise self.quarantine(digest)
        return data

    def materialise(self, digest: Digest, dest: str, mode: int) -> os.stat_result:
        """Atomically replace ``dest`` with the verified content of ``digest``.

        Reflinks or copies (or hard-links, in hardlink mode) and verifies what was
        written. Returns the stat of the new ``dest``.
        """
        obj = self.path(digest)
        directory = os.path.dirname(dest) or "."
        _make_parents(directory)
        tmp = tmp_name(directory, ".")
        try:
            if self.link == "hardlink":
                if hash_file(obj) != digest:
                    raise self.quarantine(digest)
                os.link(obj, tmp)
            else:
                _copy(obj, tmp)
                os.chmod(tmp, mode)
                if hash_file(tmp) != digest:
                    raise self.quarantine(digest)
            os.replace(tmp, dest)
        except FileNotFoundError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if exc.filename in (obj, None) and not os.path.exists(obj):
                raise self.not_found(digest) from None
            raise
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return os.stat(dest)

    def verify(self, digest: Digest) -> bool:
        """Whether the object exists and its content matches its name."""
        try:
            return hash_file(self.path(digest)) == digest
        except FileNotFoundError:
            return False

    def not_found(self, digest: Digest) -> ObjectNotFound:
        return ObjectNotFound(
            f"object {digest[:12]} is not in the cache; run `mlgate pull` to fetch it from the "
            "remote, or `mlgate add` the original data again"
        )

    def quarantine(self, digest: Digest) -> CorruptObject:
        """Move a corrupt object aside so that it can be fetched again; returns the error."""
        with contextlib.suppress(OSError):
            os.makedirs(self.corrupt_dir, exist_ok=True)
            os.replace(self.path(digest), os.path.join(self.corrupt_dir, digest))
        return CorruptObject(
            f"cache object {digest[:12]} is corrupt (its content no longer matches its digest); "
            f"it was moved to {self.corrupt_dir}. Run `mlgate pull` to fetch a good copy from "
            "the remote, or `mlgate add` the original data again"
        )

    def remove(self, digest: Digest) -> int:
        """Delete an object; returns the bytes freed (0 if it was already gone)."""
        path = self.path(digest)
        try:
            size = os.stat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            return 0
        return size

    def clean_tmp(self) -> int:
        """Remove leftovers of interrupted writes; call only under the exclusive lock."""
        removed = 0
        with contextlib.suppress(FileNotFoundError), os.scandir(self.tmp_dir) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
        return removed


def _read_small(src: str, st: os.stat_result) -> bytes:
    """The whole content of a small file, checked against the stat it was listed with."""
    fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, st.st_size + 1)]  # one read for a regular file
        got = len(chunks[0])
        while 0 < got < st.st_size:  # a short read: keep going (growth shows in fstat)
            chunks.append(os.read(fd, st.st_size + 1 - got))
            got += len(chunks[-1]) if chunks[-1] else st.st_size
        _check_unchanged(src, st, os.fstat(fd))
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _check_unchanged(src: str, st: os.stat_result, now: os.stat_result | None = None) -> None:
    now = now or os.stat(src)
    if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
        raise PathError(
            f"{src} changed while it was being added; run `mlgate add` again once nothing "
            "writes to it"
        )


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(src: str, dst: str) -> None:
    if not try_reflink(src, dst):
        import shutil  # copies are rare on the paths that must start fast

        shutil.copyfile(src, dst)


def _make_parents(directory: str) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
    except FileExistsError as exc:
        raise PathError(
            f"cannot create directory {directory}: a file is in the way; move it aside"
        ) from exc
    except OSError as exc:
        raise os_error(exc, f"creating {directory}") from exc
