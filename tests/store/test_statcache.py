from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mlgate.store import hash_bytes
from mlgate.store._statcache import StatCache, StatKey, now_ns


def test_hit_miss_and_prefix_lookup(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"one")
    key = StatKey.of(os.stat(f))
    cache = StatCache(str(tmp_path / "stat.db"))
    later = key.mtime_ns + 10**9
    cache.record([("d/f", key, hash_bytes(b"one")), ("d2/g", key, hash_bytes(b"g"))], later)
    assert cache.get("d/f", key) == hash_bytes(b"one")
    assert cache.get("d/f", key._replace(size=4)) is None
    assert cache.get("nope", key) is None
    assert set(cache.under("d")) == {"d/f"}  # not d2/
    cache.close()
    assert StatCache(str(tmp_path / "stat.db")).get("d/f", key) == hash_bytes(b"one")


def test_racy_entries_are_not_cached(tmp_path: Path) -> None:
    cache = StatCache(str(tmp_path / "stat.db"))
    key = StatKey(1, 3, now_ns(), 0)
    cache.record([("f", key, hash_bytes(b"one"))], hashed_at_ns=key.mtime_ns + 1000)
    assert cache.get("f", key) is None


def test_unwritable_state_directory_only_disables_the_cache(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    subprocess.run(["chattr", "+i", str(state)], check=True)
    try:
        cache = StatCache(str(state / "stat.db"))
        key = StatKey(1, 1, 1, 1)
        cache.record([("f", key, hash_bytes(b"x"))], 10**18)
        assert cache.get("f", key) is None
        assert cache.under("") == {}
    finally:
        subprocess.run(["chattr", "-i", str(state)], check=True)
