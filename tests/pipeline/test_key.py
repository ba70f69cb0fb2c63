from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mlgate.pipeline import stage_key

paths = st.text(alphabet="abc/._", min_size=1, max_size=8)
digests = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
values = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.booleans())
inputs = st.fixed_dictionaries(
    {
        "cmd": st.text(max_size=20),
        "deps": st.dictionaries(paths, digests, max_size=4),
        "params": st.dictionaries(paths, values, max_size=4),
        "env": st.dictionaries(
            st.sampled_from(["SEED", "MODE", "LANG"]),
            st.one_of(st.none(), st.text(max_size=4)),
            max_size=3,
        ),
        "outs": st.lists(paths, max_size=3, unique=True),
    }
)


def _reordered(args: dict[str, Any]) -> dict[str, Any]:
    return {
        **args,
        **{k: dict(reversed(list(args[k].items()))) for k in ("deps", "params", "env")},
        "outs": list(reversed(args["outs"])),
    }


@given(inputs)
def test_order_of_entries_never_changes_the_key(args: dict[str, Any]) -> None:
    assert stage_key(**args) == stage_key(**_reordered(args))


@given(inputs, st.data())
def test_any_change_to_what_the_key_covers_changes_it(
    args: dict[str, Any], data: st.DataObject
) -> None:
    key = stage_key(**args)
    field = data.draw(st.sampled_from(["cmd", "deps", "params", "env", "outs"]))
    changed = dict(args)
    if field == "cmd":
        changed["cmd"] = args["cmd"] + " --again"
    elif field == "outs":
        changed["outs"] = [*args["outs"], "extra.out"] if "extra.out" not in args["outs"] else []
    elif field == "deps":
        changed["deps"] = {**args["deps"], "new/dep": "f" * 64}
        if args["deps"]:  # or a changed digest of an existing dependency
            first = next(iter(args["deps"]))
            flipped = "0" if args["deps"][first][0] != "0" else "1"
            changed["deps"] = {**args["deps"], first: flipped + args["deps"][first][1:]}
    elif field == "params":
        changed["params"] = {**args["params"], "p.yaml:new": 1}
        if args["params"]:
            first = next(iter(args["params"]))
            changed["params"] = {**args["params"], first: [args["params"][first]]}
    else:
        var = data.draw(st.sampled_from(["SEED", "MODE", "LANG"]))
        current = args["env"].get(var, "<absent>")
        changed["env"] = {**args["env"], var: "changed!" if current != "changed!" else None}
    assert stage_key(**changed) != key
