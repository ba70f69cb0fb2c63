"""The workspace: tracked paths, their pointers, and `mlgate add`.

A :class:`Workspace` ties together the local cache, the stat cache and the pointer
files of one repository. Status and checkout live in their own modules and work on it.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable, Sequence
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
from mlgate.store._statcache import FileStat, StatCache, StatKey, TreeRecord, now_ns
from mlgate.store._tree import TreeEntry, encode_tree, tree_digest

#: Threads storing the files of one directory. Measured on ext4 with 20,000 files of
#: 4 KiB: 8 threads were slower than 1 in five trials of six, because creating files
#: in one directory serialises on its lock and the threads only add contention.
STORE_JOBS = 1


def file_stat(name: str, st: os.stat_result) -> FileStat:
    """The stat-cache key of a file of a tracked directory."""
    return (name, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, exec_mode(st.st_mode))


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
        kind: ``file``, ``tree`` or ``missing`` (what is on disk now).
        stats: For a tree, its files' stat tuples, sorted by name.
        digests: For a tree, their digests in the same order; None when the stat cache
            vouched for the whole tree and they were not asked for.
    """

    digest: Digest | None
    kind: str
    stats: list[FileStat] = field(default_factory=list)
    digests: list[str] | None = field(default_factory=list)
    previous: TreeRecord | None = None  # what the stat cache knew before this snapshot

    @functools.cached_property
    def entries(self) -> list[TreeEntry]:
        """For a tree, its manifest entries (take the snapshot with ``need_digests``)."""
        if self.digests is None:
            raise ValueError("snapshot taken without need_digests=True")
        pairs = zip(self.stats, self.digests, strict=True)
        return [TreeEntry(st[0], d, st[2], st[5]) for st, d in pairs]


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
    def snapshot(self, rel: str, *, need_digests: bool = False) -> Snapshot:
        """Digest the path as it is now, hashing only what the stat cache does not know.

        Args:
            rel: The tracked path.
            need_digests: For a directory, also return every file's digest. Without it,
                a directory whose files all have their recorded stats costs no lookup
                per file (the fast path of `status`).
        """
        path = self.abspath(rel)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return Snapshot(None, "missing")
        if stat.S_ISDIR(st.st_mode):
            stats = scan_dir(path, rel, file_stat)
            if not need_digests:
                same = self.stats.unchanged_tree(rel, stats)
                if same is not None:
                    return Snapshot(Digest(same), "tree", stats, None)
            record = self.stats.tree(rel)
            if record is not None and record.tree and record.stats == stats:
                return Snapshot(Digest(record.tree), "tree", stats, record.digests)
            known = record.known() if record is not None else {}
            started = now_ns()
            digests = [known.get(s) or hash_file(f"{path}/{s[0]}", s[2]) for s in stats]
            snap = Snapshot(None, "tree", stats, digests, previous=record)
            snap.digest = tree_digest(snap.entries)
            self.stats.record_tree(rel, stats, digests, snap.digest, started)
            return snap
        st = stat_path(path, rel)
        key = StatKey.of(st)
        cached = self.stats.get(rel, key)
        if cached is not None:
            return Snapshot(cached, "file")
        started = now_ns()
        digest = hash_file(path, st.st_size)
        self.stats.record([(rel, key, digest)], started)
        return Snapshot(digest, "file")

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
            staged: list[tuple[Pointer, int, Callable[[], None]]] = []
            with translate_os_errors(f"writing to the cache in {self.cache.root}"):
                for rel in rels:
                    staged.append(self._store(rel, progress))
                self.cache.sync()
            results: list[AddResult] = []
            for pointer, new_objects, remember in staged:
                previous = self.pointers.get(pointer.path)
                self.pointers.write(pointer)
                remember()
                self._ignore_in_git(pointer.path)
                results.append(AddResult(pointer, previous != pointer, new_objects))
        if self.cache.link == "hardlink":
            from mlgate.store._checkout import checkout

            checkout(self, [r.pointer.path for r in results], cwd=self.root, force=True)
        return results

    def put_path(self, user_path: str, cwd: str | None = None) -> Pointer:
        """Store a file or directory in the cache without tracking it (no pointer file).

        This is how a model artifact enters the store when it is registered.
        """
        [rel] = self.resolve([user_path], cwd)
        with repo_lock(self.state_dir, exclusive=False):
            with translate_os_errors(f"writing to the cache in {self.cache.root}"):
                pointer, _new, remember = self._store(rel, NO_PROGRESS)
                self.cache.sync()
            remember()
        return pointer

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

    def _store(self, rel: str, progress: Progress) -> tuple[Pointer, int, Callable[[], None]]:
        """Put ``rel``'s content in the cache; returns its pointer, the number of new
        objects, and what to record in the stat cache once the pointer is written."""
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
            row = (rel, StatKey.of(st), digest)
            return pointer, int(new), lambda: self.stats.record([row], started)
        if not stat.S_ISDIR(st.st_mode):
            raise PathError(f"'{rel}' is not a regular file or directory; mlgate cannot version it")
        files = scan_dir(path, rel)
        record = self.stats.tree(rel)
        known = record.known() if record is not None else {}
        stored: dict[int, tuple[Digest, bool, os.stat_result]] = {}
        todo: list[int] = []
        for i, (name, fst) in enumerate(files):
            seen = known.get(file_stat(name, fst))
            if seen and self.cache.has(Digest(seen)):
                stored[i] = (Digest(seen), False, fst)
            else:
                todo.append(i)
        total = sum(fst.st_size for _, fst in files)

        def store(i: int) -> tuple[Digest, bool, os.stat_result]:
            return self._store_file(f"{path}/{files[i][0]}", files[i][1])

        with progress.task(f"add {rel}", total, "bytes") as advance:
            advance(sum(files[i][1].st_size for i in stored))
            done = map_parallel(store, todo, STORE_JOBS, advance, lambda _i, r: r[2].st_size)
        stored.update(zip(todo, done, strict=True))
        stats = [file_stat(name, stored[i][2]) for i, (name, _) in enumerate(files)]
        digests: list[str] = [stored[i][0] for i in range(len(files))]
        snap = Snapshot(None, "tree", stats, digests)
        tree, new = self.cache.put_bytes(encode_tree(snap.entries))
        new_objects = sum(stored[i][1] for i in todo) + new
        pointer = Pointer(path=rel, kind="tree", digest=tree, size=total, files=len(files))

        def remember() -> None:
            self.stats.record_tree(rel, stats, digests, tree, started)

        return pointer, new_objects, remember

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
