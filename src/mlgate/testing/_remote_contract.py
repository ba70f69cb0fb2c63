"""The contract every :class:`mlgate.store.Remote` backend must pass.

Subclass :class:`RemoteContract`, implement :meth:`make_remote` to return a remote
over empty storage, and pytest runs every ``test_*`` method against it.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path

from mlgate._errors import ObjectNotFound
from mlgate.store._remote import Remote


class RemoteContract(ABC):
    """Behaviour shared by every remote (see :class:`mlgate.store.Remote`)."""

    @abstractmethod
    def make_remote(self) -> Remote:
        """A remote over fresh, empty storage."""

    def test_empty_remote_lists_nothing(self) -> None:
        assert self.make_remote().list_keys("objects/") == set()

    def test_bytes_round_trip_and_listing(self) -> None:
        remote = self.make_remote()
        remote.put_bytes("objects/ab/cdef", b"payload")
        remote.put_bytes("runs/x", b"other prefix")
        assert remote.get_bytes("objects/ab/cdef") == b"payload"
        assert remote.list_keys("objects/") == {"objects/ab/cdef"}
        assert remote.list_keys("") == {"objects/ab/cdef", "runs/x"}

    def test_byte_ranges(self) -> None:
        remote = self.make_remote()
        remote.put_bytes("packs/p", b"0123456789abcdef")
        assert remote.get_ranges("packs/p", [0, 10, 3], [2, 6, 1]) == [b"01", b"abcdef", b"3"]

    def test_put_of_an_existing_key_is_allowed(self) -> None:
        remote = self.make_remote()
        remote.put_bytes("objects/aa/1", b"same")
        remote.put_bytes("objects/aa/1", b"same")
        assert remote.get_bytes("objects/aa/1") == b"same"

    def test_large_file_round_trip(self, tmp_path: Path) -> None:
        remote = self.make_remote()
        src = tmp_path / "big"
        payload = os.urandom(12 << 20)  # larger than one 5 MiB multipart chunk
        src.write_bytes(payload)
        remote.put_file("objects/bb/big", str(src))
        dest = tmp_path / "back"
        assert remote.get_file("objects/bb/big", str(dest)) == len(payload)
        assert dest.read_bytes() == payload

    def test_missing_key_raises_object_not_found(self, tmp_path: Path) -> None:
        remote = self.make_remote()
        try:
            remote.get_bytes("objects/cc/missing")
        except ObjectNotFound:
            pass
        else:
            raise AssertionError("get_bytes of a missing key must raise ObjectNotFound")
        try:
            remote.get_file("objects/cc/missing", str(tmp_path / "d"))
        except ObjectNotFound:
            pass
        else:
            raise AssertionError("get_file of a missing key must raise ObjectNotFound")
        try:
            remote.get_ranges("objects/cc/missing", [0], [1])
        except ObjectNotFound:
            pass
        else:
            raise AssertionError("get_ranges of a missing key must raise ObjectNotFound")

    def test_concurrent_puts_from_threads_all_arrive(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        remote = self.make_remote()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: remote.put_bytes(f"objects/{i:02x}/k", bytes([i])), range(64)))
        assert remote.list_keys("objects/") == {f"objects/{i:02x}/k" for i in range(64)}
