from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec
import pytest

from mlgate import CorruptObject, MlgateError, ObjectNotFound, RemoteError
from mlgate.config import RemoteConfig, init_project, load_project
from mlgate.store import (
    Workspace,
    encode_tree,
    fetch,
    hash_bytes,
    object_key,
    open_remote,
    pull,
    push,
    status,
)
from mlgate.store._digest import LARGE_FILE
from mlgate.store._packs import PackIndex, encode_index
from mlgate.store._tree import TreeEntry
from tests.conftest import write


def _populate(ws: Workspace, repo: Path) -> None:
    for i in range(40):
        write(repo / "data" / "imgs" / f"{i}.bin", os.urandom(300))
    write(repo / "data" / "big.bin", os.urandom(LARGE_FILE + 1))
    ws.add(["data/imgs", "data/big.bin"])


def _clone(repo: Path, tmp_path: Path) -> Workspace:
    """A second checkout with the same pointers and config but an empty cache."""
    other = tmp_path / "clone"
    other.mkdir()
    init_project(str(other))
    shutil.copytree(repo / "mlgate.lock", other / "mlgate.lock")
    return Workspace.for_project(load_project(str(other)))


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_push_then_pull_into_a_fresh_clone(
    kind: str, repo: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    config: RemoteConfig = request.getfixturevalue(f"{kind}_remote")
    ws = Workspace.for_project(load_project(str(repo)))
    _populate(ws, repo)
    remote = open_remote(config)
    first = push(ws, remote, jobs=8)
    assert (first.transferred, first.skipped) == (42, 0)  # 40 files, big.bin, the manifest
    again = push(ws, remote)
    assert (again.transferred, again.skipped) == (0, 42)

    clone = _clone(repo, tmp_path)
    fetched, restored = pull(clone, remote, jobs=8)
    assert fetched.transferred == 42 and fetched.skipped == 0
    assert sum(r.written for r in restored) == 41
    assert {s.state for s in status(clone)} == {"ok"}
    for name in ("data/big.bin", "data/imgs/7.bin"):
        assert (Path(clone.root) / name).read_bytes() == (repo / name).read_bytes()


def test_interrupted_push_and_fetch_resume(
    repo: Path, tmp_path: Path, file_remote: RemoteConfig
) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    _populate(ws, repo)
    remote = open_remote(file_remote)
    push(ws, remote, ["data/big.bin"])  # as if the rest had been cut off
    resumed = push(ws, remote)
    assert (resumed.transferred, resumed.skipped) == (41, 1)
    clone = _clone(repo, tmp_path)
    fetch(clone, remote, ["data/imgs"], cwd=clone.root)
    rest = fetch(clone, remote)
    assert (rest.transferred, rest.skipped) == (1, 41)


def test_push_refuses_when_objects_are_missing_locally(
    repo: Path, file_remote: RemoteConfig
) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    [r] = ws.add([str(write(repo / "a.bin", "a"))])
    ws.cache.remove(r.pointer.digest)  # type: ignore[arg-type]
    with pytest.raises(ObjectNotFound, match="cannot be pushed.*Nothing was sent"):
        push(ws, open_remote(file_remote))
    assert open_remote(file_remote).list_keys("") == set()


def test_corrupt_local_object_is_not_pushed(repo: Path, file_remote: RemoteConfig) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    [r] = ws.add([str(write(repo / "a.bin", "good"))])
    obj = Path(ws.cache.path(r.pointer.digest))  # type: ignore[arg-type]
    os.chmod(obj, 0o644)
    obj.write_bytes(b"bad!")
    with pytest.raises(CorruptObject, match="corrupt"):
        push(ws, open_remote(file_remote))
    assert open_remote(file_remote).list_keys("objects/") == set()


def test_corrupt_local_object_is_recovered_from_the_remote(
    repo: Path, file_remote: RemoteConfig
) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    f = write(repo / "a.bin", "good")
    [r] = ws.add(["a.bin"])
    remote = open_remote(file_remote)
    push(ws, remote)
    obj = Path(ws.cache.path(r.pointer.digest))  # type: ignore[arg-type]
    os.chmod(obj, 0o644)
    obj.write_bytes(b"rot!")
    f.unlink()
    from mlgate.store import checkout

    with pytest.raises(CorruptObject, match="Run `mlgate pull`"):
        checkout(ws)
    pull(ws, remote)
    assert f.read_text() == "good"


def test_remote_serving_wrong_content_is_refused(
    repo: Path, tmp_path: Path, file_remote: RemoteConfig
) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    write(repo / "small.bin", "small")
    write(repo / "big.bin", b"b" * LARGE_FILE)
    results = ws.add(["small.bin", "big.bin"])
    remote = open_remote(file_remote)
    push(ws, remote)
    base = Path(file_remote.url.removeprefix("file://"))
    big = next(r for r in results if r.pointer.path == "big.bin")
    (base / object_key(big.pointer.digest)).write_bytes(b"tampered")  # large: stored alone
    [pack] = (base / "packs").glob("*.pack")  # small: inside a pack
    pack.write_bytes(b"X" * pack.stat().st_size)
    clone = _clone(repo, tmp_path)
    for path in ("small.bin", "big.bin"):
        with pytest.raises(RemoteError, match="does not match its digest; it was not stored"):
            fetch(clone, remote, [path], cwd=clone.root)
    assert list(clone.cache.iter_digests()) == []


def test_hostile_manifest_from_the_remote_is_refused(
    repo: Path, tmp_path: Path, file_remote: RemoteConfig
) -> None:
    evil = encode_tree([TreeEntry("../../outside", hash_bytes(b"x"), 1, 0o644)])
    evil_digest = hash_bytes(evil)
    remote = open_remote(file_remote)
    remote.put_bytes(object_key(evil_digest), evil)
    remote.put_bytes(object_key(hash_bytes(b"x")), b"x")
    ws = Workspace.for_project(load_project(str(repo)))
    pointer = {
        "mlgate": 1,
        "path": "d",
        "kind": "tree",
        "digest": evil_digest,
        "size": 1,
        "files": 1,
        "mode": 0,
    }
    write(repo / "mlgate.lock" / "paths" / "d.json", msgspec.json.encode(pointer))
    with pytest.raises(CorruptObject, match="'../../outside'.*refusing"):
        pull(ws, remote)
    assert not (tmp_path / "outside").exists()


def test_objects_absent_everywhere(repo: Path, tmp_path: Path, file_remote: RemoteConfig) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    write(repo / "a.bin", "a")
    ws.add(["a.bin"])
    clone = _clone(repo, tmp_path)
    with pytest.raises(ObjectNotFound, match="on neither this machine nor the remote"):
        fetch(clone, open_remote(file_remote))


def test_small_objects_travel_in_packs(
    repo: Path, tmp_path: Path, file_remote: RemoteConfig
) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    _populate(ws, repo)
    remote = open_remote(file_remote)
    push(ws, remote)
    keys = remote.list_keys("")
    packs = sorted(k for k in keys if k.startswith("packs/"))
    assert len(packs) == 2 and packs[0].endswith(".idx") and packs[1].endswith(".pack")
    assert len([k for k in keys if k.startswith("objects/")]) == 1  # only big.bin
    clone = _clone(repo, tmp_path)
    fetch(clone, remote)
    cached = list((Path(clone.state_dir) / "remotes").glob("*/*.idx"))
    assert len(cached) == 1  # the index is read once and kept
    fetched, _ = pull(clone, remote)
    assert fetched.transferred == 0 and {s.state for s in status(clone)} == {"ok"}


def test_an_unindexed_pack_from_an_interrupted_push_is_ignored(
    repo: Path, tmp_path: Path, file_remote: RemoteConfig
) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    write(repo / "a.bin", "a")
    ws.add(["a.bin"])
    remote = open_remote(file_remote)
    remote.put_bytes("packs/" + "0" * 64 + ".pack", b"half a pack")  # no index: never read
    assert push(ws, remote).transferred == 1
    clone = _clone(repo, tmp_path)
    pull(clone, remote)
    assert (Path(clone.root) / "a.bin").read_text() == "a"


def test_a_malformed_pack_index_is_reported(repo: Path, file_remote: RemoteConfig) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    write(repo / "a.bin", "a")
    ws.add(["a.bin"])
    remote = open_remote(file_remote)
    remote.put_bytes("packs/" + "1" * 64 + ".idx", b"not msgpack")
    with pytest.raises(MlgateError, match="pack index .* is malformed; delete it"):
        push(ws, remote)
    remote.put_bytes("packs/" + "1" * 64 + ".idx", encode_index(PackIndex("2" * 64, [])))
    with pytest.raises(MlgateError, match="names another pack"):
        push(ws, remote)
