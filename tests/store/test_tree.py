from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlgate import CorruptObject
from mlgate.store import TreeEntry, decode_tree, encode_tree, hash_bytes, tree_digest

names = st.text(alphabet="abcdefghij_-.0123", min_size=1, max_size=6).filter(
    lambda n: n not in (".", "..")
)
entries = st.lists(
    st.tuples(st.lists(names, min_size=1, max_size=3), st.binary(max_size=16), st.booleans()),
    max_size=20,
    unique_by=lambda t: tuple(t[0]),
).map(
    lambda items: [
        TreeEntry("/".join(parts), hash_bytes(body), len(body), 0o755 if x else 0o644)
        for parts, body, x in items
    ]
)


def _no_file_dir_conflicts(items: list[TreeEntry]) -> bool:
    paths = {e.path for e in items}
    return not any(p.startswith(q + "/") for p in paths for q in paths)


@given(entries.filter(_no_file_dir_conflicts), st.randoms())
def test_tree_digest_does_not_depend_on_listing_order(items: list[TreeEntry], rnd: object) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert tree_digest(shuffled) == tree_digest(items)
    assert decode_tree(encode_tree(shuffled)) == sorted(items, key=lambda e: e.path)


@given(entries.filter(lambda items: len(items) > 0 and _no_file_dir_conflicts(items)))
def test_any_entry_change_changes_the_tree_digest(items: list[TreeEntry]) -> None:
    first = items[0]
    other_digest = hash_bytes(first.digest.encode())
    variants = [
        TreeEntry(first.path + "x", first.digest, first.size, first.mode),
        TreeEntry(first.path, other_digest, first.size, first.mode),
        TreeEntry(first.path, first.digest, first.size + 1, first.mode),
        TreeEntry(first.path, first.digest, first.size, 0o644 if first.mode == 0o755 else 0o755),
    ]
    for variant in variants:
        assert tree_digest([variant, *items[1:]]) != tree_digest(items)


GOOD = hash_bytes(b"x")


def _raw(*rows: list[object], version: int = 1) -> bytes:
    return msgspec.json.encode({"mlgate_tree": version, "entries": list(rows)})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_raw(["/etc/passwd", GOOD, 1, 0o644]), "absolute"),
        (_raw(["../../escape", GOOD, 1, 0o644]), "'..' component"),
        (_raw(["a/../../b", GOOD, 1, 0o644]), "'..' component"),
        (_raw(["a//b", GOOD, 1, 0o644]), "empty"),
        (_raw(["a\\b", GOOD, 1, 0o644]), "backslash"),
        (_raw(["a", "../" + "0" * 61, 1, 0o644]), "malformed digest"),
        (_raw(["a", GOOD, -1, 0o644]), "negative size"),
        (_raw(["a", GOOD, 1, 0o4755]), "mode other than"),
        (_raw(["a", GOOD, 1, 0o644], ["a", GOOD, 1, 0o644]), "appears twice"),
        (_raw(["a", GOOD, 1, 0o644], ["a/b", GOOD, 1, 0o644]), "both as a file and as a directory"),
        (_raw(version=99), "format 99"),
        (b"not json", "not a valid manifest"),
        (b'{"mlgate_tree": 1, "entries": [["a", 1, 2, 3]]}', "not a valid manifest"),
    ],
)
def test_hostile_or_damaged_manifests_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(CorruptObject, match=message):
        decode_tree(data, "f" * 64)


def test_digest_only_decoding_still_refuses_bad_digests() -> None:
    good = _raw(["../not/checked/here", GOOD, 1, 0o644])
    assert decode_tree(good, check_paths=False)[0].path == "../not/checked/here"
    for bad in ("../" + "0" * 61, GOOD.upper(), GOOD[:-1]):
        with pytest.raises(CorruptObject, match="malformed digest"):
            decode_tree(_raw(["a", bad, 1, 0o644]), check_paths=False)
