"""The workspace: tracked paths, their pointers, and `mlgate add`.

A :class:`Workspace` ties together the local cache, the stat cache and the pointer
files of one repository. Status and checkout live in their own modules and work on it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlgate._errors import PathError
from mlgate._fs import translate_os_errors
from mlgate.config import Project, ensure_gitignore_entry
from mlgate.store._cache import LinkType, LocalCache, exec_mode
from mlgate.store._digest import LARGE_FILE, Digest, hash_file
from mlgate.store._lock import repo_lock
from mlgate.store._parallel import map_parallel
from mlgate.store._paths import overlap, repo_relative
from mlgate.store._pointer import Pointer, PointerStore
from mlgate.store._progress import NO_PROGRESS, Progress
from mlgate.store._scan import scan_dir, stat_path
from mlgate.store._statcache import StatCache, StatKey, now_ns
from mlgate.store._tree import TreeEntry, encode_tree, tree_digest

StatRow = tuple[str, StatKey, Digest]

#: Threads storing the files of one directory. Measured on ext4 with 20,000 files of
#: 4 KiB: 8 threads were slower than 1 in five trials of six, because creating files
#: in one directory serialises on its lock and the threads only add contention.
STORE_JOBS = 1


@dataclass(frozen=True)
class AddResult:
    """What `add` recorded for one path.

    Attributes:
        pointer: The new pointer.
        changed: Whether it differs from the pointer recorded before.
        new_objects: Objects written to the cache (0 when all content was known).
    """

    pointer: Pointer
    changed: bool
    new_objects: int


@dataclass
class Snapshot:
    """The current content of a tracked path, as digests.

    Attributes:
        digest: The file or tree digest; None when the path is missing.
        kind: ``file`` or ``tree`` (what is on disk now).
        entries: For a tree, its entries.
        rows: Fresh stat-cache rows computed while taking the snapshot.
    """

    digest: Digest | None
    kind: str
    entries: list[TreeEntry] = field(default_factory=list)
    rows: list[StatRow] = field(default_factory=list)


class Workspace:
    """One repository's tracked data."""

    def __init__(
        self,
        root: str,
        *,
        cache_dir: str,
        state_dir: str,
        lock_dir: str,
        link: LinkType = "auto",
        track: Sequence[str] = (),
    ) -> None:
        self.root = root
        self.state_dir = state_dir
        self.cache = LocalCache(cache_dir, link)
        self.stats = StatCache(os.path.join(state_dir, "stat.db"))
        self.pointers = PointerStore(lock_dir)
        self.track = tuple(track)

    @classmethod
    def for_project(cls, project: Project) -> Workspace:
        return cls(
            project.root,
            cache_dir=project.cache_dir,
            state_dir=project.state_dir,
            lock_dir=project.lock_dir,
            link=project.config.cache.link,
            track=project.config.track,
        )

    def close(self) -> None:
        self.stats.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- selecting paths --------------------------------------------------------------
    def abspath(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def resolve(self, user_paths: Sequence[str], cwd: str | None = None) -> list[str]:
        """Repository-relative forms of ``user_paths``, deduplicated, in order."""
        rels: list[str] = []
        for user_path in user_paths:
            rel = repo_relative(self.root, user_path, cwd)
            if rel not in rels:
                rels.append(rel)
        return rels

    def selected(self, user_paths: Sequence[str], cwd: str | None = None) -> list[Pointer]:
        """The pointers at, inside or above ``user_paths`` (all of them when empty).

        Raises:
            PathError: a named path is not tracked.
        """
        pointers = self.pointers.all()
        if not user_paths:
            return pointers
        chosen: list[Pointer] = []
        for rel in self.resolve(user_paths, cwd):
            hits = [p for p in pointers if overlap(p.path, rel)]
            if not hits:
                raise PathError(f"'{rel}' is not tracked; run `mlgate add {rel}` first")
            chosen.extend(p for p in hits if p not in chosen)
        return chosen

    # -- reading the workspace --------------------------------------------------------
    def snapshot(self, rel: str) -> Snapshot:
        """Digest the path as it is now, hashing only what the stat cache does not know."""
        path = self.abspath(rel)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return Snapshot(None, "missing")
        if stat.S_ISDIR(st.st_mode):
            snap = Snapshot(None, "tree")
            known = self.stats.under(rel)
            started = now_ns()
            for f in scan_dir(path, rel):
                full = f"{rel}/{f.rel}"
                key = StatKey.of(f.st)
                hit = known.get(full)
                if hit is not None and hit[0] == key:
                    digest = hit[1]
                else:
                    digest = hash_file(f.path, f.st.st_size)
                    snap.rows.append((full, key, digest))
                snap.entries.append(TreeEntry(f.rel, digest, f.st.st_size, exec_mode(f.st.st_mode)))
            self.stats.record(snap.rows, started)
            snap.digest = tree_digest(snap.entries)
            return snap
        st = stat_path(path, rel)
        key = StatKey.of(st)
        cached = self.stats.get(rel, key)
        if cached is not None:
            return Snapshot(cached, "file")
        started = now_ns()
        digest = hash_file(path, st.st_size)
        row = (rel, key, digest)
        self.stats.record([row], started)
        return Snapshot(digest, "file", rows=[row])

    # -- add ---------------------------------------------------------------------------
    def add(
        self, user_paths: Sequence[str], cwd: str | None = None, progress: Progress = NO_PROGRESS
    ) -> list[AddResult]:
        """Version ``user_paths`` (or the config's ``track`` list when empty).

        Objects are written and made durable before the pointers that name them, so a
        crash at any point leaves the previous pointers valid.

        Raises:
            PathError: a path is missing, outside the repository, a symlink loop, or
                overlaps another tracked path.
            StoreError: the cache cannot be written (read-only, disk full).
        """
        if not user_paths and not self.track:
            raise PathError(
                "no path given; name what to version (`mlgate add data/raw.csv`) or list it "
                "under `track:` in mlgate.yaml"
            )
        rels = self.resolve(user_paths or self.track, cwd if user_paths else self.root)
        self._check_overlaps(rels)
        with repo_lock(self.state_dir, exclusive=False):
            staged: list[tuple[Pointer, int, list[StatRow], int]] = []
            with translate_os_errors(f"writing to the cache in {self.cache.root}"):
                for rel in rels:
                    staged.append(self._store(rel, progress))
                self.cache.sync()
            results: list[AddResult] = []
            for pointer, new_objects, rows, started in staged:
                previous = self.pointers.get(pointer.path)
                self.pointers.write(pointer)
                self.stats.record(rows, started)
                self._ignore_in_git(pointer.path)
                results.append(AddResult(pointer, previous != pointer, new_objects))
        if self.cache.link == "hardlink":
            from mlgate.store._checkout import checkout

            checkout(self, [r.pointer.path for r in results], cwd=self.root, force=True)
        return results

    def _check_overlaps(self, rels: list[str]) -> None:
        for i, rel in enumerate(rels):
            for other in rels[i + 1 :]:
                if overlap(rel, other):
                    raise PathError(
                        f"'{rel}' and '{other}' overlap; add either the directory or the files "
                        "inside it, not both"
                    )
        for pointer in self.pointers.all():
            for rel in rels:
                if rel != pointer.path and overlap(rel, pointer.path):
                    inner, outer = sorted((rel, pointer.path), key=len, reverse=True)
                    raise PathError(
                        f"'{rel}' overlaps the tracked path '{pointer.path}'; track '{outer}' "
                        f"as a whole (`mlgate add {outer}`) after `mlgate remove {inner}`"
                    )

    def _store(self, rel: str, progress: Progress) -> tuple[Pointer, int, list[StatRow], int]:
        path = self.abspath(rel)
        st = stat_path(path, rel)
        started = now_ns()
        if stat.S_ISREG(st.st_mode):
            with progress.task(f"add {rel}", st.st_size, "bytes") as advance:
                digest, new, st = self._store_file(path, st)
                advance(st.st_size)
            pointer = Pointer(
                path=rel,
                kind="file",
                digest=digest,
                size=st.st_size,
                files=1,
                mode=exec_mode(st.st_mode),
            )
            return pointer, int(new), [(rel, StatKey.of(st), digest)], started
        if not stat.S_ISDIR(st.st_mode):
            raise PathError(f"'{rel}' is not a regular file or directory; mlgate cannot version it")
        files = scan_dir(path, rel)
        known = self.stats.under(rel)
        stored: dict[int, tuple[Digest, bool, os.stat_result]] = {}
        todo: list[int] = []
        for i, f in enumerate(files):
            hit = known.get(f"{rel}/{f.rel}")
            if hit is not None and hit[0] == StatKey.of(f.st) and self.cache.has(hit[1]):
                stored[i] = (hit[1], False, f.st)
            else:
                todo.append(i)
        total = sum(f.st.st_size for f in files)

        def store(i: int) -> tuple[Digest, bool, os.stat_result]:
            return self._store_file(files[i].path, files[i].st)

        with progress.task(f"add {rel}", total, "bytes") as advance:
            advance(sum(files[i].st.st_size for i in stored))
            done = map_parallel(store, todo, STORE_JOBS, advance, lambda _i, r: r[2].st_size)
        stored.update(zip(todo, done, strict=True))
        rows = [(f"{rel}/{files[i].rel}", StatKey.of(stored[i][2]), stored[i][0]) for i in todo]
        entries = [
            TreeEntry(f.rel, stored[i][0], stored[i][2].st_size, exec_mode(stored[i][2].st_mode))
            for i, f in enumerate(files)
        ]
        new_objects = sum(stored[i][1] for i in todo)
        tree, new = self.cache.put_bytes(encode_tree(entries))
        pointer = Pointer(path=rel, kind="tree", digest=tree, size=total, files=len(entries))
        return pointer, new_objects + new, rows, started

    def _store_file(self, path: str, st: os.stat_result) -> tuple[Digest, bool, os.stat_result]:
        digest, new = self.cache.put_file(path, st)
        if st.st_size >= LARGE_FILE:
            st = os.stat(path)  # the workspace file may have been swapped for a copy
        return digest, new, st

    def _ignore_in_git(self, rel: str) -> None:
        parent, _, name = rel.rpartition("/")
        with translate_os_errors(f"updating .gitignore for {rel}"):
            ensure_gitignore_entry(self.abspath(parent) if parent else self.root, f"/{name}")

    # -- untrack -----------------------------------------------------------------------
    def remove(self, user_paths: Sequence[str], cwd: str | None = None) -> list[str]:
        """Stop tracking paths; the data stays in the workspace and the cache.

        Raises:
            PathError: a path is not tracked.
        """
        removed: list[str] = []
        for rel in self.resolve(user_paths, cwd):
            if not self.pointers.remove(rel):
                raise PathError(f"'{rel}' is not tracked, so there is nothing to remove")
            removed.append(rel)
        return removed
