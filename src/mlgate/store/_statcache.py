"""The stat cache: (path, inode, size, mtime, ctime) -> digest, so unchanged files are
never hashed twice.

It is an optimisation, never a source of truth: if it cannot be written (read-only
state directory) mlgate still works, only slower.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from typing import NamedTuple

from mlgate.store._digest import Digest

# A file modified this close to (or after) the moment we hashed it could change again
# within the same timestamp tick without its stat changing ("racy clean", as git calls
# it); such entries are not cached, so the next look re-hashes them.
_RACY_NS = 20_000_000


class StatKey(NamedTuple):
    """The parts of a stat result that change whenever content can have changed."""

    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> StatKey:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class StatCache:
    """SQLite-backed map from repository-relative path to (stat key, digest).

    Safe to use from several processes at once (WAL, busy timeout). One instance is
    used by one thread.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._broken:
            try:
                conn = sqlite3.connect(self._path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS stat (path TEXT PRIMARY KEY, ino INTEGER, "
                    "size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, digest TEXT) "
                    "WITHOUT ROWID"
                )
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

    def under(self, rel_dir: str) -> dict[str, tuple[StatKey, Digest]]:
        """Every entry below directory ``rel_dir``, keyed by path, in one query."""
        conn = self._connect()
        if conn is None:
            return {}
        lo = rel_dir.rstrip("/") + "/"
        hi = rel_dir.rstrip("/") + "0"  # '0' sorts right after '/'
        try:
            rows = conn.execute(
                "SELECT path, ino, size, mtime_ns, ctime_ns, digest FROM stat "
                "WHERE path >= ? AND path < ?",
                (lo, hi),
            ).fetchall()
        except sqlite3.Error:
            return {}
        return {r[0]: (StatKey(r[1], r[2], r[3], r[4]), Digest(r[5])) for r in rows}

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
