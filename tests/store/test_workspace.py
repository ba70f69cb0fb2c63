from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlgate import ObjectNotFound, PathError, WorkspaceConflict
from mlgate.config import load_project
from mlgate.store import Workspace, checkout, hash_bytes, status
from tests.conftest import git, write


@pytest.fixture
def ws(repo: Path) -> Workspace:
    return Workspace.for_project(load_project(str(repo)))


def _states(ws: Workspace) -> dict[str, str]:
    return {s.path: s.state for s in status(ws)}


def test_add_file_writes_a_pointer_and_gitignore(ws: Workspace, repo: Path) -> None:
    write(repo / "data" / "raw.csv", "a,b\n1,2\n")
    [result] = ws.add(["data/raw.csv"])
    assert result.changed and result.new_objects == 1
    pointer_file = repo / "mlgate.lock" / "paths" / "data" / "raw.csv.json"
    doc = json.loads(pointer_file.read_text())
    assert doc == {
        "mlgate": 1,
        "path": "data/raw.csv",
        "kind": "file",
        "digest": hash_bytes(b"a,b\n1,2\n"),
        "size": 8,
        "files": 1,
        "mode": 0o644,
    }
    assert "/raw.csv" in (repo / "data" / ".gitignore").read_text().splitlines()
    [again] = ws.add(["data/raw.csv"])
    assert not again.changed and again.new_objects == 0
    assert _states(ws) == {"data/raw.csv": "ok"}


def test_directory_status_lists_changed_files_and_checkout_restores(
    ws: Workspace, repo: Path
) -> None:
    for i in range(30):
        write(repo / "imgs" / f"{i:02d}.bin", f"image {i}")
    write(repo / "imgs" / "sub" / "deep.bin", "deep")
    (repo / "imgs" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(repo / "imgs" / "run.sh", 0o755)
    [result] = ws.add(["imgs"])
    assert result.pointer.kind == "tree" and result.pointer.files == 32
    assert result.new_objects == 33  # 32 files + the manifest
    write(repo / "imgs" / "03.bin", "changed")
    (repo / "imgs" / "04.bin").unlink()
    write(repo / "imgs" / "new.bin", "new")
    [st] = status(ws)
    assert st.state == "modified"
    assert st.details == ("modified: 03.bin", "deleted: 04.bin", "added: new.bin")
    with pytest.raises(WorkspaceConflict, match="imgs/03.bin") as info:
        checkout(ws)
    assert "imgs/new.bin" in str(info.value) and "Nothing was changed" in str(info.value)
    assert (repo / "imgs" / "03.bin").read_text() == "changed"
    [done] = checkout(ws, force=True)
    assert (done.written, done.removed) == (2, 1)
    assert (repo / "imgs" / "03.bin").read_text() == "image 3"
    assert not (repo / "imgs" / "new.bin").exists()
    assert os.stat(repo / "imgs" / "run.sh").st_mode & 0o111
    assert _states(ws) == {"imgs": "ok"}


def test_checkout_replaces_cached_content_without_force(ws: Workspace, repo: Path) -> None:
    f = write(repo / "model.bin", "v1")
    ws.add(["model.bin"])
    v1 = (repo / "mlgate.lock" / "paths" / "model.bin.json").read_bytes()
    write(f, "v2")
    ws.add(["model.bin"])
    (repo / "mlgate.lock" / "paths" / "model.bin.json").write_bytes(v1)  # like `git checkout`
    assert _states(ws) == {"model.bin": "modified"}
    checkout(ws)  # v2 is in the cache, so nothing is lost and no --force is needed
    assert f.read_text() == "v1"


def test_missing_path_and_missing_objects(ws: Workspace, repo: Path) -> None:
    f = write(repo / "x.bin", "x")
    [r] = ws.add(["x.bin"])
    f.unlink()
    assert _states(ws) == {"x.bin": "missing"}
    ws.cache.remove(r.pointer.digest)  # type: ignore[arg-type]
    with pytest.raises(ObjectNotFound, match="run `mlgate pull`"):
        checkout(ws)
    write(f, "x")
    assert _states(ws) == {"x.bin": "not-in-cache"}


def test_kind_change_is_reported_and_checked_out(ws: Workspace, repo: Path) -> None:
    write(repo / "d" / "a", "a")
    ws.add(["d"])
    (repo / "d" / "a").unlink()
    (repo / "d").rmdir()
    write(repo / "d", "now a file")
    [st] = status(ws)
    assert st.state == "modified" and "was a directory" in st.details[0]
    with pytest.raises(WorkspaceConflict):
        checkout(ws)
    checkout(ws, force=True)
    assert (repo / "d" / "a").read_text() == "a"


def test_declared_but_untracked_paths(repo: Path) -> None:
    (repo / "mlgate.yaml").write_text("track: [data/raw.csv, data/other]\n")
    ws = Workspace.for_project(load_project(str(repo)))
    assert _states(ws) == {"data/raw.csv": "untracked", "data/other": "untracked"}
    write(repo / "data" / "raw.csv", "r")
    write(repo / "data" / "other" / "f", "f")
    results = ws.add([])  # no paths: the declared ones
    assert [r.pointer.path for r in results] == ["data/raw.csv", "data/other"]
    assert _states(ws) == {"data/raw.csv": "ok", "data/other": "ok"}


def test_no_path_and_nothing_declared(ws: Workspace) -> None:
    with pytest.raises(PathError, match="no path given"):
        ws.add([])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("nope.csv", "does not exist; check the spelling"),
        ("../outside.csv", "is outside the repository"),
        ("data/../../outside.csv", "is outside the repository"),
        ("/etc/hostname", "is outside the repository"),
        (".", "is the repository root"),
        (".mlgate/cache", "inside .mlgate/"),
        ("mlgate.lock/paths", "inside mlgate.lock/"),
        ("", "an empty path"),
    ],
)
def test_bad_paths_are_refused(ws: Workspace, repo: Path, path: str, message: str) -> None:
    with pytest.raises(PathError, match=message):
        ws.add([path])


def test_dotdot_inside_the_repository_is_normalised(ws: Workspace, repo: Path) -> None:
    write(repo / "data" / "x.csv", "x")
    [r] = ws.add(["data/../data/./x.csv"])
    assert r.pointer.path == "data/x.csv"


def test_symlinks(ws: Workspace, repo: Path, tmp_path: Path) -> None:
    os.symlink("b", repo / "a")
    os.symlink("a", repo / "b")
    with pytest.raises(PathError, match="symlink loop"):
        ws.add(["a"])
    outside = write(tmp_path / "secret.txt", "s")
    os.symlink(outside, repo / "leak")
    with pytest.raises(PathError, match="resolves through a symlink"):
        ws.add(["leak"])
    write(repo / "d" / "real.txt", "r")
    os.symlink("real.txt", repo / "d" / "alias.txt")  # a link to a file: content stored
    [r] = ws.add(["d"])
    assert r.pointer.files == 2
    os.symlink(".", repo / "d" / "loop")
    with pytest.raises(PathError, match="symlink to a directory"):
        ws.add(["d"])
    (repo / "d" / "loop").unlink()
    os.symlink("missing-target", repo / "d" / "dangling")
    with pytest.raises(PathError, match="symlink to a missing file"):
        ws.add(["d"])
    (repo / "d" / "dangling").unlink()
    os.mkfifo(repo / "d" / "pipe")
    with pytest.raises(PathError, match="not a regular file"):
        ws.add(["d"])


def test_overlapping_paths_are_refused(ws: Workspace, repo: Path) -> None:
    write(repo / "d" / "a", "a")
    with pytest.raises(PathError, match="overlap"):
        ws.add(["d", "d/a"])
    ws.add(["d"])
    with pytest.raises(PathError, match="overlaps the tracked path 'd'"):
        ws.add(["d/a"])


def test_remove_untracks_but_keeps_data(ws: Workspace, repo: Path) -> None:
    f = write(repo / "d" / "a", "a")
    ws.add(["d/a"])
    assert ws.remove(["d/a"]) == ["d/a"]
    assert f.read_text() == "a" and ws.pointers.all() == []
    with pytest.raises(PathError, match="not tracked"):
        ws.remove(["d/a"])
    with pytest.raises(PathError, match="not tracked; run `mlgate add"):
        status(ws, ["d/a"])


def test_malformed_pointer_names_the_file_and_the_fix(ws: Workspace, repo: Path) -> None:
    write(repo / "a.csv", "a")
    ws.add(["a.csv"])
    pointer = repo / "mlgate.lock" / "paths" / "a.csv.json"
    pointer.write_text("{ not json")
    with pytest.raises(PathError, match=r"a\.csv\.json is malformed.*git checkout --"):
        status(ws)
    pointer.write_text(
        json.dumps({"path": "b.csv", "kind": "file", "digest": "0" * 64, "size": 1, "files": 1})
    )
    with pytest.raises(PathError, match="names 'b.csv', not 'a.csv'"):
        status(ws)
    pointer.write_text(
        json.dumps({"path": "a.csv", "kind": "file", "digest": "../x", "size": 1, "files": 1})
    )
    with pytest.raises(PathError, match="malformed digest"):
        status(ws)


def test_hardlink_mode(repo: Path) -> None:
    (repo / "mlgate.yaml").write_text("cache: {link: hardlink}\n")
    ws = Workspace.for_project(load_project(str(repo)))
    f = write(repo / "d" / "a", "a")
    [r] = ws.add(["d"])
    assert os.stat(f).st_nlink == 2 and not os.stat(f).st_mode & 0o222
    assert _states(ws) == {"d": "ok"}


def test_pointers_of_different_paths_merge_without_conflict(ws: Workspace, repo: Path) -> None:
    write(repo / "data" / "a.csv", "a1")
    write(repo / "data" / "b.csv", "b1")
    ws.add(["data/a.csv", "data/b.csv"])
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    git(repo, "checkout", "-qb", "feature")
    write(repo / "data" / "a.csv", "a2")
    ws.add(["data/a.csv"])
    git(repo, "commit", "-qam", "a2")
    git(repo, "checkout", "-q", "main")
    checkout(ws)
    write(repo / "data" / "b.csv", "b2")
    write(repo / "data" / "c.csv", "c1")
    ws.add(["data/b.csv", "data/c.csv"])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "b2 c1")
    git(repo, "merge", "-q", "--no-edit", "feature")  # raises on conflict
    checkout(ws)
    assert (repo / "data" / "a.csv").read_text() == "a2"
    assert (repo / "data" / "b.csv").read_text() == "b2"
    assert _states(ws) == {"data/a.csv": "ok", "data/b.csv": "ok", "data/c.csv": "ok"}


def _age(directory: Path) -> None:
    """Back-date files so the stat cache does not treat them as racily clean."""
    for f in directory.iterdir():
        old = f.stat().st_mtime_ns - 10**10
        os.utime(f, ns=(old, old))


def test_snapshot_fast_path_and_digests_on_request(ws: Workspace, repo: Path) -> None:
    for i in range(5):
        write(repo / "d" / f"{i}", str(i))
    _age(repo / "d")
    [r] = ws.add(["d"])
    fast = ws.snapshot("d")
    assert fast.digest == r.pointer.digest and fast.digests is None
    with pytest.raises(ValueError, match="need_digests"):
        _ = fast.entries
    full = ws.snapshot("d", need_digests=True)
    assert full.digest == r.pointer.digest and len(full.entries) == 5
    write(repo / "d" / "3", "changed")
    assert ws.snapshot("d").digest != r.pointer.digest


def test_status_details_when_the_pointer_moved_but_the_workspace_did_not(
    ws: Workspace, repo: Path
) -> None:
    for i in range(3):
        write(repo / "d" / f"{i}", f"v1 {i}")
    ws.add(["d"])
    pointer_file = repo / "mlgate.lock" / "paths" / "d.json"
    v1 = pointer_file.read_bytes()
    write(repo / "d" / "1", "v2")
    _age(repo / "d")
    ws.add(["d"])
    assert ws.snapshot("d").digests is None  # the fast path applies
    pointer_file.write_bytes(v1)  # like `git checkout HEAD~1 -- mlgate.lock`
    [st] = status(ws)
    assert st.state == "modified" and st.details == ("modified: 1",)


def test_status_of_a_directory_whose_recorded_manifest_is_not_here(
    ws: Workspace, repo: Path
) -> None:
    write(repo / "d" / "a", "a")
    ws.add(["d"])
    pointer_file = repo / "mlgate.lock" / "paths" / "d.json"
    doc = json.loads(pointer_file.read_text())
    doc["digest"] = hash_bytes(b"a tree from another machine")
    pointer_file.write_text(json.dumps(doc))
    [st] = status(ws)
    assert st.state == "modified" and "not in the cache; `mlgate pull`" in st.details[0]
