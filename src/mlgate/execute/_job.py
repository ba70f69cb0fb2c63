"""The executor interface: what a stage sends to where it runs, and what comes back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mlgate.store import Pointer

OnOutput = Callable[[str, str], None]
"""Called with (stage, line) for every line a stage's command prints."""


@dataclass(frozen=True)
class StageJob:
    """One stage's command and everything it may read and must write.

    Attributes:
        stage: The stage's name (for messages and output prefixes).
        cmd: The shell command.
        wdir: The directory it runs in, relative to the repository root.
        env: Variables to set for the command, on top of the executor's environment.
        inputs: The dependencies and parameter files, by digest. A remote executor
            materialises exactly these; the local one finds them in the repository.
        outputs: Paths the command must write (its outputs and metrics files).
        metrics: Which of ``outputs`` are metrics files (for the error message).
    """

    stage: str
    cmd: str
    wdir: str = "."
    env: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[Pointer, ...] = ()
    outputs: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()


class Executor(Protocol):
    """Where stage commands run.

    :meth:`run` is called from several threads at once, one call per stage; an
    implementation must be thread-safe and must not touch the repository's workspace
    except through the objects it is given.

    Attributes:
        shares_workspace: True when the command runs inside the repository itself, so
            the caller stores its outputs from there. False when it runs elsewhere: then
            :meth:`run` returns the outputs' pointers, and their objects are already in
            the local cache.
    """

    shares_workspace: bool

    def run(self, job: StageJob, on_output: OnOutput) -> list[Pointer] | None:
        """Run ``job`` and wait for it.

        Returns:
            None for an executor that shares the workspace; otherwise the pointers of
            ``job.outputs``, in that order, with their objects in the local cache.

        Raises:
            PipelineError: the command failed, was killed or did not write an output.
            ExecutorError: the place it should run is unreachable or lost the work.
            RemoteError: inputs or outputs could not move through the remote store.
        """
        ...

    def close(self) -> None:
        """Release connections and processes; idempotent."""
        ...
