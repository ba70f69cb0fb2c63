"""The contract every registry backend (SQLite, PostgreSQL) must pass.

Subclass :class:`RegistryContract` and implement :meth:`make_url` to return the URL of
an empty database; pytest runs every ``test_*`` method against it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import pytest

from mlgate._errors import AliasConflict, NotFound, RegistryError, SchemaMismatch
from mlgate.registry import Registry

DIGEST = "a" * 64


class RegistryContract(ABC):
    """Behaviour shared by every registry backend (see :class:`mlgate.registry.Registry`)."""

    @abstractmethod
    def make_url(self) -> str:
        """The URL of a fresh, empty database."""

    @pytest.fixture(autouse=True)
    def _close_registries(self) -> Iterator[None]:
        self._opened: list[Registry] = []
        yield
        for reg in self._opened:
            reg.close()

    def open(self, url: str, *, check: bool = True) -> Registry:
        reg = Registry(url, check=check)
        self._opened.append(reg)
        return reg

    def registry(self) -> Registry:
        url = self.make_url()
        self.open(url, check=False).upgrade()
        return self.open(url)

    def test_an_empty_database_must_be_upgraded_first(self) -> None:
        url = self.make_url()
        with pytest.raises(SchemaMismatch, match="run `mlgate registry upgrade`"):
            self.open(url)
        before, after = self.open(url, check=False).upgrade()
        assert before is None and after == "0001_initial"
        assert self.open(url, check=False).upgrade() == ("0001_initial", "0001_initial")
        self.open(url)

    def test_versions_are_numbered_per_model(self) -> None:
        reg = self.registry()
        one = reg.register(
            "churn",
            artifact_digest=DIGEST,
            flavor="sklearn",
            params={"C": 1.0},
            metrics={"auc": 0.9},
            data_digests={"data/train.csv": "b" * 64},
            git_commit="c" * 40,
            signature={"inputs": [["x", "float64"]]},
            input_example=[[1.0]],
        )
        two = reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        other = reg.register("digits", artifact_digest=DIGEST, flavor="onnx")
        assert (one.version, two.version, other.version) == (1, 2, 1)
        got = reg.get("churn", 1)
        assert got == one and got.params == {"C": 1.0} and got.data_digests["data/train.csv"]
        assert [v.version for v in reg.versions("churn")] == [1, 2]
        assert reg.resolve("churn").version == 2 and reg.resolve("churn@1").version == 1
        models = {m.name: m for m in reg.models()}
        assert models["churn"].latest_version == 2 and models["digits"].latest_version == 1

    def test_unknown_models_and_versions(self) -> None:
        reg = self.registry()
        with pytest.raises(NotFound, match="no model named 'ghost'"):
            reg.versions("ghost")
        reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        with pytest.raises(NotFound, match=r"has no version 7 \(versions: 1..1\)"):
            reg.get("churn", 7)
        with pytest.raises(NotFound, match="has no alias 'production'"):
            reg.resolve("churn@production")
        with pytest.raises(NotFound, match="no version 3"):
            reg.set_alias("churn", "production", 3, expected=None, reason="r")

    def test_alias_moves_are_compare_and_set_with_history(self) -> None:
        reg = self.registry()
        for _ in range(3):
            reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        reg.set_alias("churn", "production", 1, expected=None, reason="first", actor="ann")
        reg.set_alias("churn", "production", 2, expected=1, reason="better", actor="bob")
        with pytest.raises(AliasConflict, match="is version 2, not version 1") as info:
            reg.set_alias("churn", "production", 3, expected=1, reason="stale")
        assert info.value.current == 2
        with pytest.raises(AliasConflict, match="not unset"):
            reg.set_alias("churn", "production", 3, expected=None, reason="stale")
        assert reg.resolve("churn@production").version == 2
        assert reg.previous("churn", "production") == 1
        reg.set_alias("churn", "production", None, expected=2, reason="retire")
        assert reg.alias("churn", "production") is None
        events = reg.history("churn", "production")
        assert [(e.from_version, e.to_version, e.reason) for e in events] == [
            (None, 1, "first"),
            (1, 2, "better"),
            (2, None, "retire"),
        ]
        assert events[0].actor == "ann" and events[0].at <= events[1].at

    @pytest.mark.parametrize("alias", ["latest", "Prod", "1", "has space", "", "x" * 101])
    def test_reserved_or_malformed_aliases(self, alias: str) -> None:
        reg = self.registry()
        reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        with pytest.raises(RegistryError, match="reserved|not valid"):
            reg.set_alias("churn", alias, 1, expected=None, reason="r")

    def test_malformed_model_names_and_missing_reason(self) -> None:
        reg = self.registry()
        with pytest.raises(RegistryError, match="model name '../x' is not valid"):
            reg.register("../x", artifact_digest=DIGEST, flavor="sklearn")
        reg.register("churn", artifact_digest=DIGEST, flavor="sklearn")
        with pytest.raises(RegistryError, match="needs a reason"):
            reg.set_alias("churn", "production", 1, expected=None, reason=" ")
