from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgate import CorruptObject, ObjectNotFound, StoreError
from mlgate._fs import atomic_write, translate_os_errors
from mlgate.store import LocalCache, hash_bytes
from mlgate.store._digest import LARGE_FILE


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    return LocalCache(str(tmp_path / "cache"))


def test_put_bytes_is_idempotent_and_read_only(cache: LocalCache) -> None:
    digest, new = cache.put_bytes(b"hello")
    assert new and digest == hash_bytes(b"hello")
    assert cache.put_bytes(b"hello") == (digest, False)
    assert os.stat(cache.path(digest)).st_mode & 0o777 == 0o444
    assert cache.read_bytes(digest) == b"hello"
    assert list(cache.iter_digests()) == [digest]
    cache.sync()
    with pytest.raises(CorruptObject, match="hashes to"):
        cache.put_bytes(b"hello", hash_bytes(b"other"))


def test_large_file_is_stored_without_sharing_the_users_inode(
    cache: LocalCache, tmp_path: Path
) -> None:
    src = tmp_path / "big.bin"
    payload = os.urandom(LARGE_FILE + 123)
    src.write_bytes(payload)
    os.chmod(src, 0o640)
    before = os.stat(src)
    digest, new = cache.put_file(str(src), before)
    assert new and digest == hash_bytes(payload)
    after = os.stat(src)
    obj = os.stat(cache.path(digest))
    assert obj.st_ino != after.st_ino and obj.st_mode & 0o777 == 0o444
    assert after.st_mode & 0o777 == 0o640 and after.st_mtime_ns == before.st_mtime_ns
    src.write_bytes(b"user edits the file in place")  # must not touch the cache
    assert cache.verify(digest)
    # storing it again when the object exists is a no-op
    src.write_bytes(payload)
    assert cache.put_file(str(src), os.stat(src)) == (digest, False)


def test_hardlink_mode_shares_the_inode_read_only(tmp_path: Path) -> None:
    cache = LocalCache(str(tmp_path / "cache"), link="hardlink")
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(LARGE_FILE))
    digest, _ = cache.put_file(str(src), os.stat(src))
    assert os.stat(cache.path(digest)).st_ino == os.stat(src).st_ino
    dest = tmp_path / "out" / "copy.bin"
    st = cache.materialise(digest, str(dest), 0o644)
    assert st.st_ino == os.stat(cache.path(digest)).st_ino


def test_file_changing_while_added_is_refused(cache: LocalCache, tmp_path: Path) -> None:
    src = tmp_path / "f"
    src.write_bytes(b"a" * 100)
    stale = os.stat(src)
    src.write_bytes(b"b" * 200)
    with pytest.raises(Exception, match="changed while it was being added"):
        cache.put_file(str(src), stale)


def test_materialise_verifies_and_quarantines_corruption(cache: LocalCache, tmp_path: Path) -> None:
    digest, _ = cache.put_bytes(b"precious data")
    obj = cache.path(digest)
    os.chmod(obj, 0o644)
    Path(obj).write_bytes(b"precious dat4")  # bit rot
    dest = tmp_path / "ws" / "file"
    with pytest.raises(CorruptObject, match="`mlgate pull`"):
        cache.materialise(digest, str(dest), 0o644)
    assert not dest.exists() and not cache.has(digest)
    assert (Path(cache.corrupt_dir) / digest).exists()
    assert list((tmp_path / "ws").iterdir()) == []  # no temporary left behind
    with pytest.raises(ObjectNotFound, match="`mlgate pull`"):
        cache.materialise(digest, str(dest), 0o644)
    with pytest.raises(ObjectNotFound):
        cache.read_bytes(digest)


def test_read_bytes_detects_corruption(cache: LocalCache) -> None:
    digest, _ = cache.put_bytes(b"manifest")
    os.chmod(cache.path(digest), 0o644)
    Path(cache.path(digest)).write_bytes(b"tampered")
    with pytest.raises(CorruptObject):
        cache.read_bytes(digest)
    assert not cache.verify(digest)


def test_malformed_digest_never_becomes_a_path(cache: LocalCache) -> None:
    with pytest.raises(CorruptObject, match="not a blake3 digest"):
        cache.path("../../etc/passwd")  # type: ignore[arg-type]


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody, root included, can create entries in (chattr +i)."""
    target = tmp_path / "ro"
    target.mkdir()
    subprocess.run(["chattr", "+i", str(target)], check=True)
    yield target
    subprocess.run(["chattr", "-i", str(target)], check=True)


def test_read_only_cache_directory_gives_a_clear_error(immutable: Path) -> None:
    cache = LocalCache(str(immutable / "cache"))
    with pytest.raises(StoreError, match="permission denied.*make the directory writable"):
        with translate_os_errors("writing to the cache"):
            cache.put_bytes(b"data")


def test_atomic_write_keeps_the_old_file_when_the_disk_is_full(small_fs: Path) -> None:
    target = small_fs / "pointer.json"
    atomic_write(str(target), b"old good state")
    with pytest.raises(StoreError, match="disk is full.*previous state is intact"):
        atomic_write(str(target), b"x" * (2 << 20))
    assert target.read_bytes() == b"old good state"
    assert [p.name for p in small_fs.iterdir()] == ["pointer.json"]
