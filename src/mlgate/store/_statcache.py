"""The stat cache: (path, inode, size, mtime, ctime) -> digest, so unchanged files are
never hashed twice.

A tracked file has one row. A tracked directory has one row holding all its files'
entries as one msgpack blob: loading 20,000 entries that way costs a few ms, where
20,000 rows cost tens, and `status` on a large directory is dominated by it.

It is an optimisation, never a source of truth: if it cannot be written (read-only
state directory) mlgate still works, only slower.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from typing import NamedTuple

import msgspec

from mlgate.store._digest import Digest

# A file modified this close to (or after) the moment we hashed it could change again
# within the same timestamp tick without its stat changing ("racy clean", as git calls
# it); such entries are not cached, so the next look re-hashes them.
_RACY_NS = 20_000_000

#: Bumped whenever the tables change; an older cache is dropped and rebuilt.
SCHEMA_VERSION = 2


class StatKey(NamedTuple):
    """The parts of a stat result that change whenever content can have changed."""

    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> StatKey:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


FileStat = tuple[str, int, int, int, int, int]
"""One file of a tracked directory: (name, ino, size, mtime_ns, ctime_ns, mode)."""


class TreeRecord(msgspec.Struct, frozen=True, array_like=True):
    """What the stat cache knows about a tracked directory.

    Attributes:
        tree: The tree digest of exactly these files, or "" when some were racy.
        stats: The files' stat tuples, sorted by name.
        digests: Their content digests, in the same order ("" means: hash again).
    """

    tree: str
    stats: list[FileStat]
    digests: list[str]

    def known(self) -> dict[FileStat, str]:
        """Digest by full stat tuple: a file whose stat is unchanged keeps its digest."""
        return {st: d for st, d in zip(self.stats, self.digests, strict=True) if d}


_tree_decoder = msgspec.msgpack.Decoder(TreeRecord)
_stats_encoder = msgspec.msgpack.Encoder()


def _fingerprint(stats: list[FileStat]) -> str:
    import blake3

    return blake3.blake3(_stats_encoder.encode(stats)).hexdigest()


class StatCache:
    """SQLite-backed map from repository-relative path to (stat key, digest).

    Safe to use from several processes at once (WAL, busy timeout). One instance is
    used by one thread at a time (the pipeline runner hands it between its threads
    under a lock).
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._broken:
            try:
                conn = sqlite3.connect(
                    self._path, timeout=30, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    # A cache from another mlgate version: rebuilding it only costs hashing.
                    with conn:
                        conn.execute("BEGIN IMMEDIATE")
                        conn.execute("DROP TABLE IF EXISTS stat")
                        conn.execute("DROP TABLE IF EXISTS tree_stat")
                        conn.execute(
                            "CREATE TABLE stat (path TEXT PRIMARY KEY, ino INTEGER, "
                            "size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, digest TEXT) "
                            "WITHOUT ROWID"
                        )
                        conn.execute(
                            "CREATE TABLE tree_stat (path TEXT PRIMARY KEY, fingerprint TEXT, "
                            "tree TEXT, entries BLOB)"
                        )
                        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._conn = conn
            except sqlite3.Error:
                self._broken = True
        return self._conn

    def get(self, rel: str, key: StatKey) -> Digest | None:
        """The digest recorded for ``rel`` if its stat still matches ``key``."""
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT ino, size, mtime_ns, ctime_ns, digest FROM stat WHERE path = ?", (rel,)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or StatKey(*row[:4]) != key:
            return None
        return Digest(row[4])

    def unchanged_tree(self, rel_dir: str, stats: list[FileStat]) -> str | None:
        """The tree digest of directory ``rel_dir`` if its files still have exactly the
        recorded ``stats``; None otherwise.

        This is the fast path of `status`: it compares one fingerprint of the encoded
        stats instead of decoding 20,000 recorded entries.
        """
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT fingerprint, tree FROM tree_stat WHERE path = ?", (rel_dir,)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or not row[1] or row[0] != _fingerprint(stats):
            return None
        return str(row[1])

    def tree(self, rel_dir: str) -> TreeRecord | None:
        """The record of directory ``rel_dir``, if any."""
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT entries FROM tree_stat WHERE path = ?", (rel_dir,)
            ).fetchone()
            return None if row is None else _tree_decoder.decode(row[0])
        except (sqlite3.Error, msgspec.DecodeError):
            return None

    def record_tree(
        self,
        rel_dir: str,
        stats: list[FileStat],
        digests: list[str],
        tree: str,
        hashed_at_ns: int,
    ) -> None:
        """Remember directory ``rel_dir``; racy files lose their digest (and so the tree)."""
        conn = self._connect()
        if conn is None:
            return
        limit = hashed_at_ns - _RACY_NS
        safe = [d if st[3] < limit else "" for st, d in zip(stats, digests, strict=True)]
        record = TreeRecord(tree if all(safe) else "", stats, safe)
        try:
            with conn:
                conn.execute(
                    "INSERT OR REPLACE INTO tree_stat VALUES (?, ?, ?, ?)",
                    (rel_dir, _fingerprint(stats), record.tree, msgspec.msgpack.encode(record)),
                )
        except sqlite3.Error:
            self._broken = True

    def record(self, entries: Iterable[tuple[str, StatKey, Digest]], hashed_at_ns: int) -> None:
        """Remember digests computed at ``hashed_at_ns`` (time.time_ns() before hashing)."""
        conn = self._connect()
        if conn is None:
            return
        limit = hashed_at_ns - _RACY_NS
        rows = [(rel, *key, digest) for rel, key, digest in entries if key.mtime_ns < limit]
        if not rows:
            return
        try:
            with conn:
                conn.execute("BEGIN")
                conn.executemany("INSERT OR REPLACE INTO stat VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error:
            self._broken = True

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def now_ns() -> int:
    """The timestamp to pass to :meth:`StatCache.record` for hashes taken from now on."""
    return time.time_ns()
