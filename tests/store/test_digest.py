from __future__ import annotations

from pathlib import Path

import blake3
from hypothesis import given
from hypothesis import strategies as st

from mlgate.store import hash_bytes, hash_file, is_digest
from mlgate.store._digest import LARGE_FILE


@given(st.binary(max_size=4096))
def test_same_content_same_digest(data: bytes) -> None:
    assert hash_bytes(data) == hash_bytes(bytes(data)) == blake3.blake3(data).hexdigest()
    assert is_digest(hash_bytes(data))


@given(st.binary(min_size=1, max_size=2048), st.data())
def test_any_change_changes_the_digest(data: bytes, draw: st.DataObject) -> None:
    index = draw.draw(st.integers(0, len(data) - 1))
    flip = draw.draw(st.integers(1, 255))
    changed = bytearray(data)
    changed[index] ^= flip
    assert hash_bytes(bytes(changed)) != hash_bytes(data)
    assert hash_bytes(data + b"\0") != hash_bytes(data)


def test_file_digest_matches_bytes_digest_small_and_large(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.write_bytes(b"x" * 1000)
    assert hash_file(str(small)) == hash_bytes(b"x" * 1000)
    large = tmp_path / "large"
    payload = bytes(range(256)) * (LARGE_FILE // 256 + 7)
    large.write_bytes(payload)
    assert hash_file(str(large)) == hash_bytes(payload)  # mmap + threads path
    assert hash_file(str(large), len(payload)) == hash_bytes(payload)


def test_is_digest_rejects_path_like_values() -> None:
    assert not is_digest("../" + "a" * 61)
    assert not is_digest("A" * 64)
    assert not is_digest("a" * 63)
    assert not is_digest(None)
