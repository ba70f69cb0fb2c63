from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mlgate.store import hash_bytes
from mlgate.store._statcache import StatCache, StatKey, now_ns


def test_file_rows_hit_and_miss(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"one")
    key = StatKey.of(os.stat(f))
    cache = StatCache(str(tmp_path / "stat.db"))
    later = key.mtime_ns + 10**9
    cache.record([("d/f", key, hash_bytes(b"one"))], later)
    assert cache.get("d/f", key) == hash_bytes(b"one")
    assert cache.get("d/f", key._replace(size=4)) is None
    assert cache.get("nope", key) is None
    cache.close()
    assert StatCache(str(tmp_path / "stat.db")).get("d/f", key) == hash_bytes(b"one")


def test_tree_records_round_trip_and_racy_files_lose_their_digest(tmp_path: Path) -> None:
    cache = StatCache(str(tmp_path / "stat.db"))
    now = now_ns()
    old = ("a.bin", 1, 3, now - 10**9, now - 10**9, 0o644)
    racy = ("b.bin", 2, 3, now, now, 0o644)
    digests = [hash_bytes(b"a"), hash_bytes(b"b")]
    cache.record_tree("data", [old], digests[:1], "t" * 64, hashed_at_ns=now)
    record = cache.tree("data")
    assert record is not None and record.tree == "t" * 64 and record.stats == [old]
    assert record.known() == {old: digests[0]}
    cache.record_tree("data", [old, racy], digests, "t" * 64, hashed_at_ns=now)
    record = cache.tree("data")
    assert record is not None and record.tree == ""  # a racy file: no fast path
    assert record.known() == {old: digests[0]}
    assert cache.tree("other") is None


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
        assert cache.tree("") is None
        cache.record_tree("d", [("f", 1, 1, 1, 1, 0o644)], [hash_bytes(b"x")], "", 10**18)
    finally:
        subprocess.run(["chattr", "-i", str(state)], check=True)


def test_a_cache_from_another_version_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "stat.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE tree_stat (path TEXT PRIMARY KEY, entries BLOB)")
    old.execute("INSERT INTO tree_stat VALUES ('data', x'00')")
    old.commit()
    old.close()
    cache = StatCache(str(path))
    assert cache.tree("data") is None
    stats = [("f", 1, 1, 1, 1, 0o644)]
    cache.record_tree("data", stats, [hash_bytes(b"x")], "t" * 64, 10**18)
    assert cache.unchanged_tree("data", stats) == "t" * 64
    assert cache.unchanged_tree("data", [("f", 1, 2, 1, 1, 0o644)]) is None
