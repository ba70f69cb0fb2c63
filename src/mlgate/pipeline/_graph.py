"""The stage DAG: which stage needs which, in what order they can run.

Stages connect through paths: a stage depends on another when one of its dependencies
is, lies inside, or contains one of the other's outputs. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mlgate._errors import PipelineError
from mlgate.config import Stage


def _overlap(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


@dataclass(frozen=True)
class Pipeline:
    """A validated stage graph.

    Attributes:
        stages: The stages by name, in declaration order.
        upstream: For each stage, the stages whose outputs it reads.
        order: A topological order; among stages ready at once, declaration order.
    """

    stages: Mapping[str, Stage]
    upstream: Mapping[str, frozenset[str]]
    order: tuple[str, ...]

    @classmethod
    def build(cls, stages: Mapping[str, Stage]) -> Pipeline:
        """Check the stages and connect them.

        Raises:
            PipelineError: two stages write the same output, a stage reads its own output,
                or the stages form a cycle; the message names the stages and the fix.
        """
        writers: dict[str, str] = {}
        for name, stage in stages.items():
            for out in stage.produced:
                for other_out, writer in writers.items():
                    if _overlap(out, other_out):
                        raise PipelineError(
                            f"stages '{writer}' and '{name}' both write '{other_out}'"
                            + (f" (and '{out}')" if out != other_out else "")
                            + "; every output must belong to one stage: fix `outs` in mlgate.yaml"
                        )
                writers[out] = name
            for dep in _reads(stage):
                for out in stage.produced:
                    if _overlap(dep, out):
                        raise PipelineError(
                            f"stage '{name}' lists '{out}' as an output and '{dep}' as a "
                            "dependency; a stage cannot read what it writes. Split it into two "
                            "stages or remove one of the two entries"
                        )
        upstream: dict[str, frozenset[str]] = {}
        for name, stage in stages.items():
            upstream[name] = frozenset(
                writer
                for dep in _reads(stage)
                for out, writer in writers.items()
                if writer != name and _overlap(dep, out)
            )
        return cls(stages=dict(stages), upstream=upstream, order=_toposort(stages, upstream))

    @property
    def downstream(self) -> Mapping[str, frozenset[str]]:
        """For each stage, the stages that read its outputs."""
        down: dict[str, set[str]] = {name: set() for name in self.stages}
        for name, ups in self.upstream.items():
            for up in ups:
                down[up].add(name)
        return {name: frozenset(v) for name, v in down.items()}

    def select(self, names: Iterable[str] = (), *, downstream: bool = False) -> tuple[str, ...]:
        """The stages to consider for ``names`` (all when empty), in order.

        A named stage brings the stages it depends on (their outputs may be stale);
        ``downstream`` also brings every stage that depends on it.

        Raises:
            PipelineError: a name is not a stage.
        """
        wanted = list(names)
        if not wanted:
            return self.order
        unknown = [n for n in wanted if n not in self.stages]
        if unknown:
            known = ", ".join(self.stages) or "none: add `stages:` to mlgate.yaml"
            raise PipelineError(f"no stage named {', '.join(map(repr, unknown))}; stages: {known}")
        chosen = set(self._closure(wanted, self.upstream))
        if downstream:
            chosen |= self._closure(wanted, self.downstream)
        return tuple(n for n in self.order if n in chosen)

    def _closure(self, start: list[str], edges: Mapping[str, frozenset[str]]) -> set[str]:
        seen: set[str] = set()
        pending = list(start)
        while pending:
            name = pending.pop()
            if name not in seen:
                seen.add(name)
                pending.extend(edges[name])
        return seen


def _toposort(
    stages: Mapping[str, Stage], upstream: Mapping[str, frozenset[str]]
) -> tuple[str, ...]:
    remaining = {name: set(ups) for name, ups in upstream.items()}
    order: list[str] = []
    while remaining:
        ready = [name for name in stages if name in remaining and not remaining[name]]
        if not ready:
            raise PipelineError(
                f"the stages form a cycle: {_describe_cycle(remaining, stages)}; each stage must "
                "only read outputs of stages before it. Fix `deps`/`outs` in mlgate.yaml"
            )
        for name in ready:
            order.append(name)
            del remaining[name]
        for ups in remaining.values():
            ups.difference_update(ready)
    return tuple(order)


def _describe_cycle(remaining: Mapping[str, set[str]], stages: Mapping[str, Stage]) -> str:
    """A readable cycle: 'a' reads 'x' from 'b', which reads 'y' from 'a'."""
    start = next(n for n in stages if n in remaining)
    path = [start]
    while True:
        nxt = sorted(remaining[path[-1]])[0]
        if nxt in path:
            cycle = [*path[path.index(nxt) :], nxt]
            break
        path.append(nxt)
    return " -> ".join(f"'{n}'" for n in cycle) + " (each needs an output of the next)"


def _reads(stage: Stage) -> list[str]:
    """What a stage reads: its dependencies and its parameter files (a tune stage's
    best parameters reach the train stage that lists them in `params`)."""
    from mlgate.pipeline._params import param_files

    return [*stage.deps, *param_files(stage)]
